// A kernel for the narrow tensors at a CNN's input (3 colour channels): a pad of the last axis,
// which the strided map would do with 8-D index math per element. (The transpose that moves such
// a short axis last is transpose_kernels.cuh's to-minor kernel.)
#include <cstdint>

#include "backends/cuda/kernels/datamove/launch.h"

namespace kiln::cuda::datamove {

namespace {

template <class T>
__global__ void pad_rows_kernel(const T* __restrict__ src, T* __restrict__ dst, int64_t rows, int src_cols, int dst_cols) {
  const int64_t n = rows * dst_cols;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t r = i / dst_cols;
    const int c = static_cast<int>(i - r * dst_cols);
    dst[i] = c < src_cols ? src[r * src_cols + c] : T(0);
  }
}

int grid_for(int64_t n) {
  const int64_t blocks = (n + 255) / 256;
  return static_cast<int>(blocks < 65535 * 8 ? blocks : 65535 * 8);
}

template <template <class> class Launch, class... Args>
cudaError_t by_size(int elem_bytes, Args... args) {
  switch (elem_bytes) {
    case 1: return Launch<uint8_t>::run(args...);
    case 2: return Launch<uint16_t>::run(args...);
    case 4: return Launch<uint32_t>::run(args...);
    case 8: return Launch<uint64_t>::run(args...);
    default: return cudaErrorInvalidValue;
  }
}

template <class T>
struct PadRows {
  static cudaError_t run(const void* src, void* dst, int64_t rows, int src_cols, int dst_cols, cudaStream_t s) {
    pad_rows_kernel<T><<<grid_for(rows * dst_cols), 256, 0, s>>>(static_cast<const T*>(src), static_cast<T*>(dst),
                                                                 rows, src_cols, dst_cols);
    return cudaGetLastError();
  }
};

}  // namespace

cudaError_t launch_pad_rows(const void* src, void* dst, int64_t rows, int src_cols, int dst_cols, int elem_bytes,
                            cudaStream_t stream) {
  return by_size<PadRows>(elem_bytes, src, dst, rows, src_cols, dst_cols, stream);
}

}  // namespace kiln::cuda::datamove
