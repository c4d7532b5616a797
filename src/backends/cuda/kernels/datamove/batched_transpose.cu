// The plain Transpose's tiled and to-minor kernels (transpose_kernels.cuh), moving words unchanged.
#include "backends/cuda/kernels/datamove/launch.h"
#include "backends/cuda/kernels/datamove/launch_config.cuh"
#include "backends/cuda/kernels/datamove/transpose_kernels.cuh"

namespace kiln::cuda::datamove {

cudaError_t launch_batched_transpose(const void* src, void* dst, int64_t batch, int64_t rows, int64_t cols,
                                     int elem_bytes, cudaStream_t stream) {
  return with_word(elem_bytes, [&](auto word) {
    using Word = decltype(word);
    return launch_batched_transpose_with(static_cast<const Word*>(src), static_cast<Word*>(dst), batch, rows, cols,
                                         SameWord<Word>{}, stream);
  });
}

cudaError_t launch_transpose_to_minor(const void* src, void* dst, int64_t batch, int rows, int64_t cols, int elem_bytes,
                                      cudaStream_t stream) {
  return with_word(elem_bytes, [&](auto word) {
    using Word = decltype(word);
    return launch_to_minor_with(static_cast<const Word*>(src), static_cast<Word*>(dst), batch, rows, cols,
                                SameWord<Word>{}, stream);
  });
}

}  // namespace kiln::cuda::datamove
