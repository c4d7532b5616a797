// The implicit-GEMM addressing both int8 convolution kernels share (the mma.sync tiles of
// igemm_int8_conv.cu and the wgmma tiles of igemm_wgmma_sm90a.cu): which X and W bytes a block's
// reduction step needs, copied to shared memory with cp.async, zero-filled where a pixel's tap
// falls in the padding or a channel or output channel lies past the tensor. Where a vector lands
// in shared memory is the kernel's business (padded rows, or a swizzled layout): it passes it in.
#pragma once

#include <cstdint>

#include "backends/cuda/kernels/igemm/igemm_int8_conv.h"

namespace kiln::cuda::igemm {

constexpr int kVectorBytes = 16;  // one cp.async

__device__ __forceinline__ uint32_t shared_address(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16 bytes global -> shared, or 16 zero bytes when !valid (src is then not read).
__device__ __forceinline__ void copy_vector(uint32_t dst, const int8_t* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void commit_copies() { asm volatile("cp.async.commit_group;\n" ::); }
template <int Pending>
__device__ __forceinline__ void wait_copies() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(Pending));
}

// The origin (block_m, block_n) of the block's BM x BN output tile. The grid is one-dimensional,
// output channels fastest: the blocks sharing a run of pixels run together, so X's rows come
// from DRAM once (the other blocks read them from L2), and the rows of Y and of the residual are
// written and read whole by neighbouring blocks instead of a slice now and a slice much later.
// c.channel_tiles_divisor divides by the layer's (out_channels + BN - 1) / BN tiles of BN channels.
// tile: the tile's index in that order (blockIdx.x, where each block takes one tile).
template <int BM, int BN>
__device__ __forceinline__ int2 tile_origin(const IgemmInt8Conv& c, int tile = static_cast<int>(blockIdx.x)) {
  int pixel_tile, channel_tile;
  c.channel_tiles_divisor.divide(tile, pixel_tile, channel_tile);
  return make_int2(pixel_tile * BM, channel_tile * BN);
}
// The tiles of that grid: whole BM-pixel tiles times the launch's channel tiles.
template <int BM>
__device__ __forceinline__ int tile_count(const IgemmInt8Conv& c) {
  return (c.batch * c.out_h * c.out_w + BM - 1) / BM * c.channel_tiles_divisor.divisor;
}

// A block of Threads threads loading the reduction steps (StepBytes channels of one tap) of a
// BM-pixel x BN-channel tile: thread tid copies vector tid % kVectorsPerRow of rows
// tid / kVectorsPerRow + j * kRowsPerPass, of A (pixels) and of B (output channels).
template <int Threads, int BM, int BN, int StepBytes>
struct TileLoader {
  static constexpr int kVectorsPerRow = StepBytes / kVectorBytes;
  static constexpr int kRowsPerPass = Threads / kVectorsPerRow;
  static constexpr int kARows = BM / kRowsPerPass, kBRows = BN / kRowsPerPass;  // per thread
  static_assert(BM % kRowsPerPass == 0 && BN % kRowsPerPass == 0, "the loaders cover whole tiles");

  int vector, row;
  // Where the thread's A rows read X: the element offset of each window's origin (n, ih0, iw0, 0),
  // which may lie in the padding, and a bit per tap that lands inside the image (none for rows
  // past M). Computed once, so a reduction step costs one add and a bit test per row. X pixels
  // lie in_pixel_stride elements apart (ConvGeometry32); channels and weights go by in_channels.
  int64_t origin[kARows];
  uint64_t taps_inside[kARows];
  // The thread's B rows: weight row offsets, or -1 past K.
  int64_t filter_row[kBRows];
  int channel_steps, steps;
  // The next step to load: its tap (and the tap's r, s) and channel step. Steps are loaded in
  // order, so these advance by counting instead of dividing.
  int tap = 0, channel_step = 0, r = 0, s = 0;

  __device__ __forceinline__ TileLoader(const IgemmInt8Conv& c, int tid, int block_m, int block_n)
      : vector(tid % kVectorsPerRow), row(tid / kVectorsPerRow) {
    const int out_pixels = c.out_h * c.out_w, m_total = c.batch * out_pixels;
    const int taps = c.kernel_h * c.kernel_w;  // at most 64 (the provider checks)
    // A pointwise layer (1x1, stride 1, no padding) reads X pixel m for output pixel m: no
    // divisions and no tap loop. ResNet-50's most frequent layers are such, and the load side's
    // integer work is part of what bounds their few-step tiles (docs/perf-notes.md, session 8).
    const bool pointwise = taps == 1 && c.stride_h == 1 && c.stride_w == 1 && c.pad_h == 0 && c.pad_w == 0 &&
                           c.in_h == c.out_h && c.in_w == c.out_w;
#pragma unroll
    for (int j = 0; j < kARows; ++j) {
      const int m = block_m + row + j * kRowsPerPass;
      if (pointwise) {
        origin[j] = static_cast<int64_t>(m) * c.in_pixel_stride;
        taps_inside[j] = m < m_total ? 1 : 0;
        continue;
      }
      int n, p, oh, ow;
      c.out_pixels_divisor.divide(m, n, p);
      c.out_w_divisor.divide(p, oh, ow);
      const int ih0 = oh * c.stride_h - c.pad_h, iw0 = ow * c.stride_w - c.pad_w;
      origin[j] = (static_cast<int64_t>(n * c.in_h + ih0) * c.in_w + iw0) * c.in_pixel_stride;
      uint64_t inside = 0;
      if (m < m_total)
        for (int rr = 0, t = 0; rr < c.kernel_h; ++rr) {
          const int ih = ih0 + rr * c.dilation_h;
          for (int q = 0; q < c.kernel_w; ++q, ++t) {
            const int iw = iw0 + q * c.dilation_w;
            if (ih >= 0 && ih < c.in_h && iw >= 0 && iw < c.in_w) inside |= uint64_t{1} << t;
          }
        }
      taps_inside[j] = inside;
    }
#pragma unroll
    for (int j = 0; j < kBRows; ++j) {
      const int k = block_n + row + j * kRowsPerPass;
      filter_row[j] = k < c.out_channels ? static_cast<int64_t>(k) * taps * c.in_channels : -1;
    }
    channel_steps = (c.in_channels + StepBytes - 1) / StepBytes;
    steps = taps * channel_steps;
  }

  // Copies the next step (tap, channels from StepBytes * channel_step) into the A tile at a_tile
  // and the B tile at b_tile; place(row, vector) is a vector's byte offset in a tile.
  template <class Place>
  __device__ __forceinline__ void load_next(const IgemmInt8Conv& c, const int8_t* x, const int8_t* w,
                                            uint32_t a_tile, uint32_t b_tile, Place place) {
    const int channel = channel_step * StepBytes + vector * kVectorBytes;
    const bool channel_valid = channel < c.in_channels;
    const int64_t tap_offset =
        (static_cast<int64_t>(r * c.dilation_h) * c.in_w + s * c.dilation_w) * c.in_pixel_stride + channel;
    const int64_t filter_offset = static_cast<int64_t>(tap) * c.in_channels + channel;
#pragma unroll
    for (int j = 0; j < kARows; ++j) {
      const bool valid = channel_valid && ((taps_inside[j] >> tap) & 1);
      copy_vector(a_tile + place(row + j * kRowsPerPass, vector), valid ? x + origin[j] + tap_offset : x, valid);
    }
#pragma unroll
    for (int j = 0; j < kBRows; ++j) {
      const bool valid = channel_valid && filter_row[j] >= 0;
      copy_vector(b_tile + place(row + j * kRowsPerPass, vector), valid ? w + filter_row[j] + filter_offset : w,
                  valid);
    }
    if (++channel_step == channel_steps) {
      channel_step = 0;
      ++tap;
      if (++s == c.kernel_w) {
        s = 0;
        ++r;
      }
    }
  }
};

}  // namespace kiln::cuda::igemm
