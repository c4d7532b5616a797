// The CUDA half of ScaledTanh (scaled_tanh_kernel.cu), or, built without CUDA, a stand-in that
// says there is none (no_cuda.cc).
#pragma once

#include <cstdint>

bool scaled_tanh_has_cuda();
// Launches y = alpha * tanh(beta * x) over n floats on `stream` (a cudaStream_t); returns null,
// or the CUDA error's text.
const char* scaled_tanh_cuda(const float* x, float* y, int64_t n, float alpha, float beta, void* stream);
