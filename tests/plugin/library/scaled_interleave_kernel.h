// The test plugin's CUDA launcher (scaled_interleave_kernel.cu), or a stand-in saying there is
// none when the tests are built without CUDA.
#pragma once

#include <cstdint>

inline constexpr int64_t kBlockPerRow = 1;
inline constexpr int64_t kThreadPerElement = 2;

bool scaled_interleave_cuda_available();
// Launches on `stream`; null on success, else the CUDA error's text. `partial` is n floats of
// device workspace.
const char* scaled_interleave_cuda(int64_t tactic, const float* a, const float* b, float* out, float* sums,
                                   float* partial, int64_t n, int64_t k, float scale, void* stream);
