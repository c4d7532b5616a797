#include <algorithm>

#include "backends/cuda/cublaslt/broadcast_fill.h"

namespace kiln::cuda {

namespace {

constexpr int kThreads = 256;
// A grid-stride loop covers any size with at most this many blocks.
constexpr int64_t kMaxBlocks = 65535;

template <class T>
__global__ void broadcast_fill(const T* c, int64_t c_rows, int64_t c_cols, T* y, int64_t rows, int64_t cols) {
  const int64_t count = rows * cols;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += step) {
    const int64_t r = c_rows == 1 ? 0 : i / cols, col = c_cols == 1 ? 0 : i % cols;
    y[i] = c[r * c_cols + col];
  }
}

template <class T>
cudaError_t launch(const void* c, int64_t c_rows, int64_t c_cols, void* y, int64_t rows, int64_t cols,
                   cudaStream_t stream) {
  const int64_t blocks = std::clamp<int64_t>((rows * cols + kThreads - 1) / kThreads, 1, kMaxBlocks);
  broadcast_fill<T><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(static_cast<const T*>(c), c_rows, c_cols,
                                                                           static_cast<T*>(y), rows, cols);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_broadcast_fill(DataType dtype, const void* c, int64_t c_rows, int64_t c_cols, void* y, int64_t rows,
                                  int64_t cols, cudaStream_t stream) {
  if (rows * cols == 0) return cudaSuccess;
  // Only the element size matters for a copy.
  switch (dtype) {
    case DataType::kFloat32: return launch<float>(c, c_rows, c_cols, y, rows, cols, stream);
    case DataType::kFloat16: case DataType::kBFloat16: return launch<uint16_t>(c, c_rows, c_cols, y, rows, cols, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace kiln::cuda
