// Launchers of the data-movement kernels, callable from host code (no CUDA syntax here). Each
// returns the launch's error; none synchronizes or allocates, so all are CUDA-graph capturable.
// Elements are moved as 1-, 2-, 4- or 8-byte words, whatever their type.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backends/cuda/kernels/datamove/index_maps.h"

namespace kiln::cuda::datamove {

// For i in [0, count): dst[i] = src[map(i)], or `fill` (its low elem_bytes bytes) where map(i) < 0.
// Every map(i) >= 0 is below src_count, which with count picks 32-bit index math when both fit.
template <class Map>
cudaError_t launch_map_copy(const Map& map, const void* src, int64_t src_count, void* dst, int64_t count,
                            int elem_bytes, uint64_t fill, cudaStream_t stream);

// The largest rows/cols the tiled transpose takes (its grid's y extent is limited).
inline constexpr int64_t kMaxTiledRows = int64_t{65535} * 32;

// dst[b][c][r] = src[b][r][c] for `batch` matrices of rows x cols, through shared-memory tiles so
// both the reads and the writes are coalesced.
cudaError_t launch_batched_transpose(const void* src, void* dst, int64_t batch, int64_t rows, int64_t cols,
                                     int elem_bytes, cudaStream_t stream);

// dst[b][c][r] = src[b][r][c] for a short `rows` axis (a few channels): runs of columns through
// shared memory, each output run written with 16-byte stores.
inline constexpr int kMaxMinorRows = 16;
cudaError_t launch_transpose_to_minor(const void* src, void* dst, int64_t batch, int rows, int64_t cols, int elem_bytes,
                                      cudaStream_t stream);
// dst[r][c] = c < src_cols ? src[r][c] : 0 for `rows` rows of dst_cols >= src_cols elements.
cudaError_t launch_pad_rows(const void* src, void* dst, int64_t rows, int src_cols, int dst_cols, int elem_bytes,
                            cudaStream_t stream);

// Concat and Split move `rows` rows of `cols` elements per part between differently pitched
// tensors: dst[r * dst_pitch + c] = src[r * src_pitch + c].
inline constexpr int kMaxParts = 32;
struct PitchedPart {
  const void* src = nullptr;
  void* dst = nullptr;
  int64_t src_pitch = 0, dst_pitch = 0, cols = 0;
};
struct PitchedParts {
  PitchedPart part[kMaxParts];
  int count = 0;
  int64_t rows = 0;
};
cudaError_t launch_pitched_parts(const PitchedParts& parts, int elem_bytes, cudaStream_t stream);

// Linear or cubic Resize of [planes, in_h, in_w] to [planes, out_h, out_w]: each output is the
// weighted sum of its row taps x column taps, in float; extrapolated coordinates (no taps) get
// `extrapolation`.
enum class FloatType { kFloat32, kFloat16, kBFloat16 };
struct ResizeInterpolation {
  const ResizeTaps* rows = nullptr;
  const ResizeTaps* cols = nullptr;
  int64_t planes = 0, in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  float extrapolation = 0.f;
};
cudaError_t launch_resize_interpolation(const ResizeInterpolation& r, const void* src, void* dst, FloatType type,
                                        cudaStream_t stream);

}  // namespace kiln::cuda::datamove
