#include "backends/cuda/kernels/datamove/launch.h"
#include "backends/cuda/kernels/datamove/launch_config.cuh"

namespace kiln::cuda::datamove {

namespace {

constexpr int kTile = 32;
constexpr int kTileRowsPerPass = 8;  // blockDim.y: each thread moves kTile / 8 elements per tile

// One 32x32 tile per block: read rows of the source, write rows of the destination. The +1
// column keeps the column-wise shared-memory reads free of bank conflicts.
template <class Word>
__global__ void __launch_bounds__(kTile * kTileRowsPerPass)
    batched_transpose_kernel(const Word* __restrict__ src, Word* __restrict__ dst, int64_t batch, int64_t rows,
                             int64_t cols) {
  __shared__ Word tile[kTile][kTile + 1];
  const int64_t c0 = static_cast<int64_t>(blockIdx.x) * kTile, r0 = static_cast<int64_t>(blockIdx.y) * kTile;
  for (int64_t b = blockIdx.z; b < batch; b += gridDim.z) {
    const Word* s = src + b * rows * cols;
    Word* d = dst + b * rows * cols;
    for (int j = threadIdx.y; j < kTile; j += kTileRowsPerPass) {
      const int64_t r = r0 + j, c = c0 + threadIdx.x;
      if (r < rows && c < cols) tile[j][threadIdx.x] = s[r * cols + c];
    }
    __syncthreads();
    for (int j = threadIdx.y; j < kTile; j += kTileRowsPerPass) {
      const int64_t c = c0 + j, r = r0 + threadIdx.x;  // destination row c, column r
      if (c < cols && r < rows) d[c * rows + r] = tile[threadIdx.x][j];
    }
    __syncthreads();
  }
}

}  // namespace

cudaError_t launch_batched_transpose(const void* src, void* dst, int64_t batch, int64_t rows, int64_t cols,
                                     int elem_bytes, cudaStream_t stream) {
  if (batch <= 0 || rows <= 0 || cols <= 0) return cudaSuccess;
  if (rows > kMaxTiledRows) return cudaErrorInvalidValue;
  const dim3 grid(static_cast<unsigned>((cols + kTile - 1) / kTile), static_cast<unsigned>((rows + kTile - 1) / kTile),
                  static_cast<unsigned>(std::min<int64_t>(batch, 65535)));
  const dim3 block(kTile, kTileRowsPerPass);
  return with_word(elem_bytes, [&](auto word) {
    using Word = decltype(word);
    batched_transpose_kernel<Word><<<grid, block, 0, stream>>>(static_cast<const Word*>(src), static_cast<Word*>(dst),
                                                               batch, rows, cols);
    return cudaGetLastError();
  });
}

}  // namespace kiln::cuda::datamove
