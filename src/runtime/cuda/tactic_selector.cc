#include "runtime/cuda/tactic_selector.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/device_context.h"
#include "backends/cuda/host_fallback.h"
#include "runtime/cuda/layer_specs.h"

namespace kiln {

namespace {

constexpr int kWarmupRuns = 2;
constexpr int kTimedRuns = 5;
// Launches a timed run makes back to back, its time their mean. Why: an engine runs its layers
// back to back, and there a kernel launched as a dependent (backends/cuda/dependent_launch.h)
// starts under its predecessor's last wave while a library's kernel waits for the stream to
// drain. One launch between two events hides that difference: ResNet-50's layer2 1x1 timed
// 0.0867 ms on Kiln's tile against 0.0864 on cuDNN's alone, then ran 0.064 against 0.082 in the
// engine (docs/perf-notes.md, session 11).
constexpr int kLaunchesPerRun = 4;
// A candidate whose first run (one launch) takes this many times the best median so far cannot
// win: that run is its time, and the build skips its other runs (slow engines at large batches
// otherwise dominate the build).
constexpr double kHopelessFactor = 3.0;

// Device buffers for the activations a layer reads and writes while it is timed, reused across
// layers (grown as needed). Filled with small finite values once, so no tactic times NaNs.
class Scratch {
 public:
  Expected<void*> get(size_t slot, size_t bytes) {
    if (slot >= buffers_.size()) buffers_.resize(slot + 1);
    cuda::DeviceBuffer& b = buffers_[slot];
    if (b.bytes() < bytes) {
      b = cuda::DeviceBuffer();
      KILN_ASSIGN_OR_RETURN(b, cuda::DeviceBuffer::allocate(std::max<size_t>(bytes, 256)));
      KILN_CUDA_CHECK(cudaMemset(b.get(), 0x3c, b.bytes()));
    }
    return b.get();
  }

 private:
  std::vector<cuda::DeviceBuffer> buffers_;
};

struct Candidate {
  const cuda::TacticProvider* provider;
  cuda::Tactic tactic;
  double ms = -1;         // median; < 0: failed
  double setup_ms = 0;    // wall time of create(): cuDNN plan finalization, runtime compilation
  std::string failure;
};

// The median over kTimedRuns runs (after kWarmupRuns launches) of each run's mean launch time,
// or the first run's time alone, one launch, when it is over kHopelessFactor times `best_ms` (the
// best median so far; <= 0: none yet).
Expected<double> time_kernel(cuda::LayerKernel& kernel, const cuda::DeviceContext& dev, cudaStream_t stream,
                             const std::vector<const void*>& ins, const std::vector<void*>& outs, Scratch& scratch,
                             size_t workspace_slot, double best_ms) {
  KILN_ASSIGN_OR_RETURN(void* ws, scratch.get(workspace_slot, kernel.workspace_bytes()));
  cuda::LaunchEnv env{stream, dev.cudnn, dev.cublaslt, ws, std::max<size_t>(kernel.workspace_bytes(), 256)};
  for (int i = 0; i < kWarmupRuns; ++i) KILN_RETURN_IF_ERROR(kernel.enqueue(env, ins, outs));
  cudaEvent_t begin = nullptr, end = nullptr;
  KILN_CUDA_CHECK(cudaEventCreate(&begin));
  KILN_CUDA_CHECK(cudaEventCreate(&end));
  std::vector<double> times;
  Status s = Status::Ok();
  for (int i = 0; i <= kTimedRuns && s.ok(); ++i) {
    const int launches = i == 0 ? 1 : kLaunchesPerRun;  // run 0: the hopeless test, then a warm-up
    cudaEventRecord(begin, stream);
    for (int l = 0; l < launches && s.ok(); ++l) s = kernel.enqueue(env, ins, outs);
    cudaEventRecord(end, stream);
    if (s.ok()) s = cuda::cuda_status(cudaEventSynchronize(end), "cudaEventSynchronize");
    float ms = 0;
    if (s.ok()) s = cuda::cuda_status(cudaEventElapsedTime(&ms, begin, end), "cudaEventElapsedTime");
    if (s.ok() && i == 0 && best_ms > 0 && ms > kHopelessFactor * best_ms) {
      times.push_back(ms);
      break;
    }
    if (i > 0) times.push_back(ms / launches);
  }
  cudaEventDestroy(begin);
  cudaEventDestroy(end);
  KILN_RETURN_IF_ERROR(s);
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

std::string describe_shapes(const cuda::LayerSpec& spec) {
  std::string s;
  for (const auto& in : spec.inputs)
    if (in && in->host_constant == nullptr) s += fmt::format("{}[{}] ", data_type_name(in->dtype), fmt::join(in->dims, "x"));
  s += "->";
  for (const auto& out : spec.outputs) s += fmt::format(" {}[{}]", data_type_name(out.dtype), fmt::join(out.dims, "x"));
  return s;
}

}  // namespace

Expected<TacticSelection> select_tactics(const Graph& graph, const ConcreteDims& dims,
                                         const std::function<const void*(const Value*)>& constant_ptr,
                                         const cuda::DeviceContext& dev, TimingCache& cache,
                                         const TacticSelectionOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  TacticSelection out;
  Scratch scratch;
  cudaStream_t stream = nullptr;
  KILN_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  struct StreamGuard {
    cudaStream_t s;
    ~StreamGuard() { cudaStreamDestroy(s); }
  } guard{stream};
  KILN_CUDNN_CHECK(cudnnSetStream(dev.cudnn, stream));
  std::vector<std::string> unsupported_layers;
  const size_t total = graph.nodes().size();
  for (size_t n = 0; n < total; ++n) {
    const Node& node = *graph.nodes()[n];
    if (options.progress) options.progress(n, total);
    auto made = make_layer_spec(node, dims, options.allow_tf32, options.workspace_limit);
    bool reads_shape_tensor = false;
    for (const Value* v : node.inputs())
      for (const Value* in : graph.inputs())
        reads_shape_tensor = reads_shape_tensor || (v == in && is_shape_tensor_input(graph, in));
    if (reads_shape_tensor || (!made.ok() && made.status().code() == StatusCode::kUnsupported)) {
      // Its shapes depend on values bound when the engine runs (shape tensors): the runtime
      // picks the tactic then (no provider recorded).
      out.annotations.emplace_back();
      ++out.deferred_layers;
      continue;
    }
    KILN_ASSIGN_OR_RETURN(cuda::LayerSpec spec, std::move(made));
    const std::string signature = layer_signature(spec);
    NodeAnnotation a;
    a.precision = precision_of(spec);
    if (auto hit = cache.find(signature); hit && find_provider(hit->provider) != nullptr && options.sources.allows(hit->provider)) {
      a.provider = hit->provider;
      a.tactic = hit->tactic;
      a.tactic_id = hit->id;
      a.tactic_ms = static_cast<float>(hit->ms);
      if (a.provider == cuda::host_fallback_provider().name()) out.host_layers.push_back(node.name());
      out.annotations.push_back(a);
      ++out.cached_layers;
      continue;
    }
    std::vector<Candidate> candidates;
    std::string reasons;
    for (const cuda::TacticProvider* p : cuda::all_providers()) {
      if (!options.sources.allows(p->name())) {
        if (options.verbose) reasons += fmt::format("    not {}: ruled out by --tactic-sources\n", p->name());
        continue;
      }
      Status s = p->takes(spec);
      if (!s.ok()) {
        if (options.verbose) reasons += fmt::format("    not {}: {}\n", p->name(), s.message());
        continue;
      }
      auto tactics = p->tactics(spec, dev);
      if (!tactics.ok()) {
        reasons += fmt::format("    {}: {}\n", p->name(), tactics.status().message());
        continue;
      }
      for (const cuda::Tactic& t : *tactics) candidates.push_back({p, t, -1, 0, ""});
    }
    if (candidates.empty()) {
      if (!options.allow_host_fallback) {
        unsupported_layers.push_back(node.describe());
        out.annotations.push_back(a);
        continue;
      }
      candidates.push_back({&cuda::host_fallback_provider(), {"host_reference", 0}, -1, 0, ""});
      out.host_layers.push_back(node.name());
    }
    // Inputs and outputs: constants are the engine's copies, activations scratch buffers.
    std::vector<const void*> ins;
    std::vector<void*> outs;
    size_t slot = 0;
    for (int k : spec.node_input_of_op) {
      const Value* v = k < 0 ? nullptr : node.inputs()[static_cast<size_t>(k)];
      if (v == nullptr) {
        ins.push_back(nullptr);
      } else if (v->is_constant()) {
        ins.push_back(constant_ptr(v));
      } else {
        const auto& d = spec.inputs[ins.size()];
        KILN_ASSIGN_OR_RETURN(void* p, scratch.get(slot++, static_cast<size_t>(d->numel()) * data_type_size(d->dtype)));
        ins.push_back(p);
      }
    }
    for (const cuda::TensorDesc& d : spec.outputs) {
      KILN_ASSIGN_OR_RETURN(void* p, scratch.get(slot++, static_cast<size_t>(d.numel()) * data_type_size(d.dtype)));
      outs.push_back(p);
    }
    const size_t workspace_slot = slot;
    // A single candidate needs no timing; it is still run once, so a failing kernel fails here.
    for (Candidate& c : candidates) {
      const auto creating = std::chrono::steady_clock::now();
      auto kernel = c.provider->create(spec, c.tactic, dev);
      c.setup_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - creating).count();
      out.setup_seconds += c.setup_ms / 1000;
      if (!kernel.ok()) {
        c.failure = kernel.status().message();
        continue;
      }
      if (candidates.size() == 1 && !(*kernel)->capturable()) {
        c.ms = 0;
        continue;
      }
      double best_ms = -1;
      for (const Candidate& other : candidates)
        if (other.ms > 0 && (best_ms < 0 || other.ms < best_ms)) best_ms = other.ms;
      auto ms = time_kernel(**kernel, dev, stream, ins, outs, scratch, workspace_slot, best_ms);
      if (!ms.ok()) {
        c.failure = ms.status().message();
        cudaGetLastError();
        continue;
      }
      c.ms = *ms;
      ++out.candidates_timed;
    }
    const Candidate* best = nullptr;
    for (const Candidate& c : candidates)
      if (c.ms >= 0 && (best == nullptr || c.ms < best->ms)) best = &c;
    if (options.verbose && options.log) {
      std::string table = fmt::format("layer {}/{} {} [{}] {}\n", n + 1, total, node.name(), node.op_type(), describe_shapes(spec));
      for (const Candidate& c : candidates)
        table += c.ms >= 0 ? fmt::format("  {} {:<60} {:>10.4f} ms   (setup {:.0f} ms)\n", &c == best ? "*" : " ",
                                         c.tactic.name, c.ms, c.setup_ms)
                           : fmt::format("    {:<60} failed: {}\n", c.tactic.name, c.failure);
      // Why providers said no matters only when none said yes.
      options.log(table + (candidates.size() == 1 && candidates[0].provider == &cuda::host_fallback_provider() ? reasons : ""));
    }
    if (best == nullptr) {
      std::string why;
      for (const Candidate& c : candidates) why += fmt::format("\n  {}: {}", c.tactic.name, c.failure);
      return unsupported("{}: every tactic failed:{}", node.describe(), why);
    }
    a.provider = std::string(best->provider->name());
    a.tactic = best->tactic.name;
    a.tactic_id = best->tactic.id;
    a.tactic_ms = static_cast<float>(best->ms);
    cache.insert(signature, {a.provider, a.tactic, a.tactic_id, best->ms});
    out.annotations.push_back(a);
    ++out.timed_layers;
  }
  if (options.progress) options.progress(total, total);
  if (!unsupported_layers.empty()) {
    std::string list;
    for (const auto& l : unsupported_layers) list += "\n  " + l;
    return unsupported("{} layer(s) have no CUDA tactic (allow the host fallback to run them on the CPU):{}",
                       unsupported_layers.size(), list);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

}  // namespace kiln
