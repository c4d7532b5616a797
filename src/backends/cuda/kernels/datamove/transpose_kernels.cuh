// The two transpose kernels of dst[b][c][r] = convert(src[b][r][c]) over `batch` row-major
// rows x cols matrices, as templates over the element conversion done on load: the plain
// Transpose moves words unchanged (SameWord), the fused kiln.QuantizeTranspose quantizes each
// float as it arrives (kernels/quantize/quantize_transpose.cu). One transpose, two uses.
//  * The tiled kernel: 32x32 tiles through shared memory, so reads and writes are both coalesced.
//  * The to-minor kernel, for a short `rows` axis moved last (an RGB image to channels-last),
//    where a 32x32 tile would be mostly empty and the strided map pays 8-D index math per
//    element: a block takes a run of pixels (columns, counted across images), loads each row's
//    part with vector loads, and writes the run's output, which is contiguous (pixel-major,
//    rows innermost), from shared memory with 16-byte stores.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "backends/cuda/kernels/datamove/launch.h"
#include "backends/cuda/kernels/datamove/launch_config.cuh"

namespace kiln::cuda::datamove {

// The plain transpose's conversion: none.
template <class Word>
struct SameWord {
  __device__ __forceinline__ Word operator()(Word v) const { return v; }
};

inline constexpr int kTile = 32;
inline constexpr int kTileRowsPerPass = 8;  // blockDim.y: each thread moves kTile / 8 elements per tile

// One 32x32 tile per block: read rows of the source, write rows of the destination. The +1
// column keeps the column-wise shared-memory reads free of bank conflicts.
template <class In, class Out, class Convert>
__global__ void __launch_bounds__(kTile * kTileRowsPerPass)
    batched_transpose_kernel(const In* __restrict__ src, Out* __restrict__ dst, int64_t batch, int64_t rows,
                             int64_t cols, Convert convert) {
  __shared__ Out tile[kTile][kTile + 1];
  const int64_t c0 = static_cast<int64_t>(blockIdx.x) * kTile, r0 = static_cast<int64_t>(blockIdx.y) * kTile;
  for (int64_t b = blockIdx.z; b < batch; b += gridDim.z) {
    const In* s = src + b * rows * cols;
    Out* d = dst + b * rows * cols;
    for (int j = threadIdx.y; j < kTile; j += kTileRowsPerPass) {
      const int64_t r = r0 + j, c = c0 + threadIdx.x;
      if (r < rows && c < cols) tile[j][threadIdx.x] = convert(s[r * cols + c]);
    }
    __syncthreads();
    for (int j = threadIdx.y; j < kTile; j += kTileRowsPerPass) {
      const int64_t c = c0 + j, r = r0 + threadIdx.x;  // destination row c, column r
      if (c < cols && r < rows) d[c * rows + r] = tile[threadIdx.x][j];
    }
    __syncthreads();
  }
}

template <class In, class Out, class Convert>
cudaError_t launch_batched_transpose_with(const In* src, Out* dst, int64_t batch, int64_t rows, int64_t cols,
                                          Convert convert, cudaStream_t stream) {
  if (batch <= 0 || rows <= 0 || cols <= 0) return cudaSuccess;
  if (rows > kMaxTiledRows) return cudaErrorInvalidValue;
  const dim3 grid(static_cast<unsigned>((cols + kTile - 1) / kTile), static_cast<unsigned>((rows + kTile - 1) / kTile),
                  static_cast<unsigned>(std::min<int64_t>(batch, 65535)));
  batched_transpose_kernel<<<grid, dim3(kTile, kTileRowsPerPass), 0, stream>>>(src, dst, batch, rows, cols, convert);
  return cudaGetLastError();
}

// The to-minor kernel's geometry: blocks of kMinorThreads threads, each load kMinorVector
// consecutive pixels of one row (16 bytes of floats). A tile is kPixels pixels of one image:
// 1024 for RGB (kRows = 3), so each thread loads one vector of each row; for other row counts
// 1024 / sizeof(Out), which keeps a tile of kMaxMinorRows rows within 16 KiB of shared memory.
inline constexpr int kMinorVector = 4;
inline constexpr int kMinorThreads = 256;
template <int kRows, class Out>
inline constexpr int kMinorTilePixels = kRows > 0 ? 1024 : 1024 / static_cast<int>(sizeof(Out));

template <class T>
struct alignas(kMinorVector * sizeof(T)) MinorVector {
  T v[kMinorVector];
};

// kRows > 0 fixes `rows` at compile time (3: an RGB image, the case that matters), so a thread's
// items are known and unrolled; 0 takes any rows <= kMaxMinorRows.
// Block (x, y) takes tile x of image y (and every gridDim.y-th image after it), so a pixel's
// image and column need no division. `vector_loads`: cols is a multiple of kMinorVector and src
// is aligned for MinorVector<In>. `vector_stores`: dst is 16-byte aligned and an image's output
// is a whole number of 16-byte chunks, so every full tile's output is one aligned run of chunks.
template <int kRows, class In, class Out, class Convert>
__global__ void __launch_bounds__(kMinorThreads)
    to_minor_kernel(const In* __restrict__ src, Out* __restrict__ dst, int64_t batch, int64_t cols, int runtime_rows,
                    bool vector_loads, bool vector_stores, Convert convert) {
  constexpr int kPixels = kMinorTilePixels<kRows, Out>;
  constexpr int kVectors = kPixels / kMinorVector;
  constexpr int kMaxRows = kRows > 0 ? kRows : kMaxMinorRows;
  constexpr int kMaxItems = (kVectors * kMaxRows + kMinorThreads - 1) / kMinorThreads;
  constexpr int kGroup = kMaxItems < 4 ? kMaxItems : 4;
  __shared__ __align__(16) Out tile[kPixels * kMaxRows];
  const int rows = kRows > 0 ? kRows : runtime_rows;
  const int64_t c0 = static_cast<int64_t>(blockIdx.x) * kPixels;
  const int count = static_cast<int>(std::min<int64_t>(kPixels, cols - c0));
  for (int64_t b = blockIdx.y; b < batch; b += gridDim.y) {
    const In* s = src + b * rows * cols + c0;
    // Item k of this thread is vector (w % kVectors) of row w / kVectors, w = threadIdx.x + k *
    // kMinorThreads: a warp reads consecutive pixels of one row. A group's loads are all issued
    // before any conversion, so they are in flight together (RGB: all three rows of a vector).
    auto item = [&](int k, int& r, int& p) {
      const int w = static_cast<int>(threadIdx.x) + k * kMinorThreads;
      r = w / kVectors;
      p = (w % kVectors) * kMinorVector;
      return w < kVectors * rows && p < count;
    };
    if (vector_loads) {
      // Groups of at most kGroup items keep the vectors in registers (rows <= 16 would take 16).
#pragma unroll 1
      for (int k0 = 0; k0 < kMaxItems; k0 += kGroup) {
        MinorVector<In> v[kGroup];
#pragma unroll
        for (int g = 0; g < kGroup; ++g) {
          int r, p;
          if (item(k0 + g, r, p)) v[g] = *reinterpret_cast<const MinorVector<In>*>(s + r * cols + p);
        }
#pragma unroll
        for (int g = 0; g < kGroup; ++g) {
          int r, p;
          if (!item(k0 + g, r, p)) continue;
#pragma unroll
          for (int j = 0; j < kMinorVector; ++j) tile[(p + j) * rows + r] = convert(v[g].v[j]);
        }
      }
    } else {
      for (int k = 0; k < kMaxItems; ++k) {
        int r, p;
        if (!item(k, r, p)) continue;
        for (int j = 0; j < kMinorVector && p + j < count; ++j) tile[(p + j) * rows + r] = convert(s[r * cols + p + j]);
      }
    }
    __syncthreads();
    Out* d = dst + (b * cols + c0) * rows;
    if (vector_stores && count == kPixels) {
      constexpr int kChunkElems = 16 / static_cast<int>(sizeof(Out));
      for (int i = threadIdx.x; i < kPixels * rows / kChunkElems; i += kMinorThreads)
        reinterpret_cast<uint4*>(d)[i] = reinterpret_cast<const uint4*>(tile)[i];
    } else {
      for (int i = threadIdx.x; i < count * rows; i += kMinorThreads) d[i] = tile[i];
    }
    __syncthreads();
  }
}

template <int kRows, class In, class Out, class Convert>
void launch_to_minor_tiles(const In* src, Out* dst, int64_t batch, int rows, int64_t cols, Convert convert,
                           cudaStream_t stream) {
  constexpr int kPixels = kMinorTilePixels<kRows, Out>;
  const dim3 grid(static_cast<unsigned>((cols + kPixels - 1) / kPixels),
                  static_cast<unsigned>(std::min<int64_t>(batch, 65535)));
  const bool vector_loads =
      cols % kMinorVector == 0 && reinterpret_cast<uintptr_t>(src) % alignof(MinorVector<In>) == 0;
  const bool vector_stores =
      reinterpret_cast<uintptr_t>(dst) % 16 == 0 && (cols * rows * static_cast<int64_t>(sizeof(Out))) % 16 == 0;
  to_minor_kernel<kRows><<<grid, kMinorThreads, 0, stream>>>(src, dst, batch, cols, rows, vector_loads, vector_stores,
                                                              convert);
}

template <class In, class Out, class Convert>
cudaError_t launch_to_minor_with(const In* src, Out* dst, int64_t batch, int rows, int64_t cols, Convert convert,
                                 cudaStream_t stream) {
  if (batch <= 0 || rows <= 0 || cols <= 0) return cudaSuccess;
  if (rows > kMaxMinorRows || (cols + kMinorTilePixels<0, Out> - 1) / kMinorTilePixels<0, Out> > 0x7fffffff)
    return cudaErrorInvalidValue;
  if (rows == 3) launch_to_minor_tiles<3>(src, dst, batch, rows, cols, convert, stream);
  else launch_to_minor_tiles<0>(src, dst, batch, rows, cols, convert, stream);
  return cudaGetLastError();
}

}  // namespace kiln::cuda::datamove
