#include "backends/cuda/kernels/elementwise/nvrtc_compiler.h"

#include <mutex>
#include <unordered_map>

#include "backends/cuda/cuda_check.h"

namespace kiln::cuda::elementwise {

namespace {

struct CacheEntry {
  std::string source;
  std::string arch;
  std::shared_ptr<const std::vector<char>> cubin;
};

// Owns an nvrtcProgram so every return path destroys it.
class Program {
 public:
  Program() = default;
  ~Program() {
    if (program_ != nullptr) nvrtcDestroyProgram(&program_);
  }
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;
  nvrtcProgram* out() { return &program_; }
  nvrtcProgram get() const { return program_; }

 private:
  nvrtcProgram program_ = nullptr;
};

std::string compile_log(nvrtcProgram program) {
  size_t size = 0;
  if (nvrtcGetProgramLogSize(program, &size) != NVRTC_SUCCESS || size == 0) return "";
  std::string log(size, '\0');
  if (nvrtcGetProgramLog(program, log.data()) != NVRTC_SUCCESS) return "";
  // Enough to find the error; a generated body can make long logs.
  constexpr size_t kMaxLog = 4000;
  if (log.size() > kMaxLog) log = log.substr(0, kMaxLog) + "...";
  return log;
}

Expected<std::shared_ptr<const std::vector<char>>> compile(const std::string& source, const std::string& arch) {
  Program program;
  KILN_NVRTC_CHECK(nvrtcCreateProgram(program.out(), source.c_str(), "kiln_pointwise.cu", 0, nullptr, nullptr));
  const std::string arch_option = "--gpu-architecture=" + arch;
  const char* options[] = {arch_option.c_str(), "-std=c++17"};
  const nvrtcResult result = nvrtcCompileProgram(program.get(), 2, options);
  if (result != NVRTC_SUCCESS)
    return internal_error("NVRTC could not compile a generated kernel for {}: {}\n{}", arch, nvrtcGetErrorString(result),
                          compile_log(program.get()));
  size_t size = 0;
  KILN_NVRTC_CHECK(nvrtcGetCUBINSize(program.get(), &size));
  auto cubin = std::make_shared<std::vector<char>>(size);
  KILN_NVRTC_CHECK(nvrtcGetCUBIN(program.get(), cubin->data()));
  return std::shared_ptr<const std::vector<char>>(std::move(cubin));
}

}  // namespace

uint64_t source_hash(std::string_view source) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : source) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string gpu_arch(int major, int minor) { return "sm_" + std::to_string(major) + std::to_string(minor); }

Expected<std::shared_ptr<const std::vector<char>>> compile_cubin(const std::string& source, const std::string& arch) {
  static std::mutex mutex;
  static std::unordered_multimap<uint64_t, CacheEntry> cache;
  const uint64_t key = source_hash(source) ^ source_hash(arch);
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto [begin, end] = cache.equal_range(key);
    for (auto it = begin; it != end; ++it)
      if (it->second.arch == arch && it->second.source == source) return it->second.cubin;
  }
  // Compiling outside the lock lets layers compile in parallel; a race only compiles twice.
  KILN_ASSIGN_OR_RETURN(auto cubin, compile(source, arch));
  std::lock_guard<std::mutex> lock(mutex);
  cache.emplace(key, CacheEntry{source, arch, cubin});
  return cubin;
}

}  // namespace kiln::cuda::elementwise
