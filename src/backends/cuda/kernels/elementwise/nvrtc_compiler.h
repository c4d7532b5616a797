// Compiles generated CUDA C++ to a cubin for one GPU architecture with NVRTC. Compiled cubins are
// cached process-wide by source hash, so layers with the same generated code compile once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/status.h"

namespace kiln::cuda::elementwise {

// FNV-1a, 64 bits.
uint64_t source_hash(std::string_view source);

// "sm_90" for compute capability 9.0.
std::string gpu_arch(int major, int minor);

// The cubin of `source` for `arch`; compile errors come back with NVRTC's log.
Expected<std::shared_ptr<const std::vector<char>>> compile_cubin(const std::string& source, const std::string& arch);

}  // namespace kiln::cuda::elementwise
