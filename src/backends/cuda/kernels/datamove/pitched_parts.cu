#include "backends/cuda/kernels/datamove/launch.h"
#include "backends/cuda/kernels/datamove/launch_config.cuh"

namespace kiln::cuda::datamove {

namespace {

// blockIdx.y picks the part; the blocks along x stride over its rows x cols elements.
template <class Word, class I>
__global__ void __launch_bounds__(kThreads) pitched_parts_kernel(PitchedParts parts) {
  const PitchedPart& p = parts.part[blockIdx.y];
  const auto* src = static_cast<const Word*>(p.src);
  auto* dst = static_cast<Word*>(p.dst);
  const I cols = static_cast<I>(p.cols), src_pitch = static_cast<I>(p.src_pitch), dst_pitch = static_cast<I>(p.dst_pitch);
  const I count = static_cast<I>(parts.rows) * cols;
  const I stride = static_cast<I>(gridDim.x) * kThreads;
  for (I i = static_cast<I>(blockIdx.x) * kThreads + static_cast<I>(threadIdx.x); i < count; i += stride) {
    const I r = i / cols, c = i % cols;
    dst[r * dst_pitch + c] = src[r * src_pitch + c];
  }
}

}  // namespace

cudaError_t launch_pitched_parts(const PitchedParts& parts, int elem_bytes, cudaStream_t stream) {
  if (parts.count <= 0 || parts.rows <= 0) return cudaSuccess;
  if (parts.count > kMaxParts) return cudaErrorInvalidValue;
  int64_t largest = 0, reach = 0;  // the most elements of one part; the furthest element addressed
  for (int i = 0; i < parts.count; ++i) {
    const PitchedPart& p = parts.part[i];
    largest = std::max(largest, parts.rows * p.cols);
    reach = std::max({reach, parts.rows * p.src_pitch, parts.rows * p.dst_pitch});
  }
  const dim3 grid(grid_blocks(largest), static_cast<unsigned>(parts.count));
  return with_word(elem_bytes, [&](auto word) {
    using Word = decltype(word);
    if (fits_int32(reach)) pitched_parts_kernel<Word, int32_t><<<grid, kThreads, 0, stream>>>(parts);
    else pitched_parts_kernel<Word, int64_t><<<grid, kThreads, 0, stream>>>(parts);
    return cudaGetLastError();
  });
}

}  // namespace kiln::cuda::datamove
