#include "backends/cuda/kernels/datamove/launch.h"
#include "backends/cuda/kernels/datamove/launch_config.cuh"

namespace kiln::cuda::datamove {

namespace {

template <class Word, class I, class Map>
__global__ void __launch_bounds__(kThreads)
    map_copy_kernel(const Word* __restrict__ src, Word* __restrict__ dst, I count, Map map, Word fill) {
  const I stride = static_cast<I>(gridDim.x) * kThreads;
  for (I i = static_cast<I>(blockIdx.x) * kThreads + static_cast<I>(threadIdx.x); i < count; i += stride) {
    const I s = map(i);
    dst[i] = s >= 0 ? src[s] : fill;
  }
}

}  // namespace

template <class Map>
cudaError_t launch_map_copy(const Map& map, const void* src, int64_t src_count, void* dst, int64_t count,
                            int elem_bytes, uint64_t fill, cudaStream_t stream) {
  if (count <= 0) return cudaSuccess;
  return with_word(elem_bytes, [&](auto word) {
    using Word = decltype(word);
    const auto* s = static_cast<const Word*>(src);
    auto* d = static_cast<Word*>(dst);
    const auto f = static_cast<Word>(fill);  // the low bytes: the element's bytes on little-endian
    if (fits_int32(count) && fits_int32(src_count))
      map_copy_kernel<Word, int32_t><<<grid_blocks(count), kThreads, 0, stream>>>(s, d, static_cast<int32_t>(count), map, f);
    else
      map_copy_kernel<Word, int64_t><<<grid_blocks(count), kThreads, 0, stream>>>(s, d, count, map, f);
    return cudaGetLastError();
  });
}

#define KILN_INSTANTIATE_MAP_COPY(Map)                                                                   \
  template cudaError_t launch_map_copy<Map>(const Map&, const void*, int64_t, void*, int64_t, int, uint64_t, \
                                            cudaStream_t);
KILN_INSTANTIATE_MAP_COPY(StridedMap)
KILN_INSTANTIATE_MAP_COPY(TileMap)
KILN_INSTANTIATE_MAP_COPY(PadMap)
KILN_INSTANTIATE_MAP_COPY(GatherMap<int32_t>)
KILN_INSTANTIATE_MAP_COPY(GatherMap<int64_t>)
KILN_INSTANTIATE_MAP_COPY(GatherElementsMap<int32_t>)
KILN_INSTANTIATE_MAP_COPY(GatherElementsMap<int64_t>)
KILN_INSTANTIATE_MAP_COPY(GatherNDMap<int32_t>)
KILN_INSTANTIATE_MAP_COPY(GatherNDMap<int64_t>)
KILN_INSTANTIATE_MAP_COPY(TriluMap)
KILN_INSTANTIATE_MAP_COPY(DiagonalMap)
KILN_INSTANTIATE_MAP_COPY(FillMap)
KILN_INSTANTIATE_MAP_COPY(ResizeNearestMap)
#undef KILN_INSTANTIATE_MAP_COPY

}  // namespace kiln::cuda::datamove
