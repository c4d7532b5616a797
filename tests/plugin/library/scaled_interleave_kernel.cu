#include <cuda_runtime.h>

#include "scaled_interleave_kernel.h"

namespace {

// One block per row: each thread strides over the row's columns, then the block adds up.
__global__ void block_per_row(const float* a, const float* b, float* out, float* partial, int64_t k, float scale) {
  const int64_t r = blockIdx.x;
  float sum = 0.f;
  for (int64_t c = threadIdx.x; c < k; c += blockDim.x) {
    const float x = scale * a[r * k + c], y = scale * b[r * k + c];
    out[r * 2 * k + 2 * c] = x;
    out[r * 2 * k + 2 * c + 1] = y;
    sum += x + y;
  }
  atomicAdd(&partial[r], sum);
}

// One thread per input element, each adding its pair to the row's sum.
__global__ void thread_per_element(const float* a, const float* b, float* out, float* partial, int64_t n, int64_t k,
                                   float scale) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n * k) return;
  const int64_t r = i / k, c = i % k;
  const float x = scale * a[i], y = scale * b[i];
  out[r * 2 * k + 2 * c] = x;
  out[r * 2 * k + 2 * c + 1] = y;
  atomicAdd(&partial[r], x + y);
}

}  // namespace

bool scaled_interleave_cuda_available() { return true; }

const char* scaled_interleave_cuda(int64_t tactic, const float* a, const float* b, float* out, float* sums,
                                   float* partial, int64_t n, int64_t k, float scale, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  cudaError_t e = cudaMemsetAsync(partial, 0, static_cast<size_t>(n) * sizeof(float), s);
  if (e != cudaSuccess) return cudaGetErrorString(e);
  if (n > 0 && k > 0) {
    if (tactic == kBlockPerRow)
      block_per_row<<<static_cast<unsigned>(n), 128, 0, s>>>(a, b, out, partial, k, scale);
    else
      thread_per_element<<<static_cast<unsigned>((n * k + 255) / 256), 256, 0, s>>>(a, b, out, partial, n, k, scale);
    e = cudaGetLastError();
    if (e != cudaSuccess) return cudaGetErrorString(e);
  }
  e = cudaMemcpyAsync(sums, partial, static_cast<size_t>(n) * sizeof(float), cudaMemcpyDeviceToDevice, s);
  return e == cudaSuccess ? nullptr : cudaGetErrorString(e);
}
