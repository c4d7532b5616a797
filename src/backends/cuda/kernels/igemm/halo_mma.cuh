// The halo tiles' device pieces (halo_igemm_int8_conv.h): the copies of a chunk's B tiles and of
// the stem's blocked rows into shared memory, which the halo-tile kernel (halo_igemm_int8_conv_sm90a.cu)
// and the pooled stem kernel (stem_pool_igemm_int8_sm90a.cu) share, and, for the halo tiles, where
// each lane's ldmatrix row lies in the halo and the taps' warpgroup MMAs, A from registers. (The
// pooled stem gives each conv row whole m64s and reads A through sliding_rows_descriptor instead;
// the halo tile's stem packs TR rows of OW pixels, which no descriptor names.)
//
// A tap shifts the output pixel (oh, ow) of a 3x3, stride 1, pad 1 convolution to the input pixel
// (oh + r - 1, ow + s - 1), which is halo pixel (oh - oh0 + r, ow + s) of a halo whose row 0 is
// input row oh0 - 1 and column 0 input column -1. Row-major output pixels are not one shifted
// window of the halo (the halo's rows are two pixels longer), so A cannot come from shared memory
// through a descriptor: each lane of an ldmatrix names its own row, which is why A goes through
// registers. The stem's row form reads the same way: tap r of output pixel (oh, ow) is the 64
// bytes at halo row oh - oh0 + r, byte 16 * ow, so the eight rows of an ldmatrix phase
// (neighbouring pixels) are 128 contiguous bytes, which no two share a bank of.
#pragma once

#include <cstdint>

#include "backends/cuda/kernels/igemm/halo_igemm_int8_conv.h"
#include "backends/cuda/kernels/igemm/igemm_fragment_epilogue.cuh"
#include "backends/cuda/kernels/igemm/igemm_tile_loader.cuh"
#include "backends/cuda/kernels/igemm/igemm_wgmma.cuh"

namespace kiln::cuda::igemm {

constexpr int kHaloChunkBytes = kHaloChunkChannels;  // int8: a byte a channel
constexpr int kHaloVectorsPerPixel = kHaloChunkBytes / kVectorBytes;

// The tile's sizes and descriptors are the wgmma tiles' (WgmmaTile: 64-byte rows, 64-byte swizzle);
// only the stages differ: the window's taps' B tiles of a chunk, then its halo.
template <HaloWindow Window, int Warpgroups, int MmasM, int BN>
struct HaloStage {
  using Tile = WgmmaTile<Warpgroups, MmasM, BN, kHaloChunkBytes>;
  static constexpr int kTaps = halo_taps(Window);
  static constexpr int kTapBytes = BN * kHaloChunkBytes;  // one tap's B tile
  static constexpr int kWeightBytes = kTaps * kTapBytes;
  static_assert(kTapBytes % kSwizzleAlign == 0, "each tap's B tile starts swizzle-aligned");
};

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900

// Copies input channels 64 * chunk.. of the taps' B tiles to shared address `b` (1024-byte
// aligned): thread tid copies vector tid % 4 of output channels tid / 4 + j * kRowsPerPass, tap
// after tap (a tap's tile is a whole number of swizzle atoms, so a row's swizzle is the same in
// every tap). The taps are a loop, not unrolled: unrolled, the compiler kept every tap's source
// address in registers across the chunk loop. Zeros past K: those columns are never written.
template <class Stage>
__device__ __forceinline__ void load_halo_weights(const IgemmInt8Conv& c, const int8_t* w, uint32_t b, int chunk,
                                                  int block_n, int tid) {
  constexpr int kThreads = Stage::Tile::kThreads, BN = Stage::Tile::kMmaN * Stage::Tile::kMmas;
  constexpr int kRowsPerPass = kThreads / kHaloVectorsPerPixel;
  static_assert(BN % kRowsPerPass == 0, "the B copies split evenly over the block");
  const int channel = chunk * kHaloChunkBytes, vector = tid % kHaloVectorsPerPixel;
#pragma unroll
  for (int j = 0; j < BN / kRowsPerPass; ++j) {
    const int row = tid / kHaloVectorsPerPixel + j * kRowsPerPass, k = block_n + row;
    const bool valid = k < c.out_channels;
    const int8_t* src = w + static_cast<int64_t>(k) * Stage::kTaps * c.in_channels + channel + vector * kVectorBytes;
    uint32_t dst = b + swizzled<kHaloChunkBytes>(row, vector);
#pragma unroll 1
    for (int tap = 0; tap < Stage::kTaps; ++tap, src += c.in_channels, dst += Stage::kTapBytes)
      copy_vector(dst, valid ? src : w, valid);
  }
}

// Copies `rows` blocked rows of the stem's row form from row oh0 of image `image` (one run of
// bytes: one chunk, C = 64) to shared address `halo`; zeros for rows past the image.
template <int Threads>
__device__ __forceinline__ void copy_stem_rows(const IgemmInt8Conv& c, const int8_t* x, uint32_t halo, int image,
                                               int oh0, int rows, int row_bytes, int tid) {
  const int row_vectors = row_bytes / kVectorBytes, vectors = rows * row_vectors;
  const int8_t* src = x + static_cast<int64_t>(image * c.in_h + oh0) * row_bytes;
  const int rows_inside = c.in_h - oh0;
  for (int v = tid; v < vectors; v += Threads) {
    const bool inside = v / row_vectors < rows_inside;
    copy_vector(halo + v * kVectorBytes, inside ? src + v * kVectorBytes : x, inside);
  }
}

// The halo byte offset of the row this lane hands ldmatrix, per m64, at tap 0: tile pixel p
// (output pixel (oh0 + p / OW, p % OW)) reads halo pixel (p / OW + r, p % OW + s) at tap (r, s) of
// a 3x3, the 64 bytes at row p / OW + r, byte 16 * (p % OW) at tap r of the stem's rows. Matrices
// 0..3 of the x4 are A's rows 0-7 and 8-15 of the warp's 16, bytes 0-15, then bytes 16-31: the
// registers a[0..3] of the wgmma's A fragment. Rows past the tile's `tile_pixels` read pixel 0's
// window (any bytes would do: their sums are never used).
template <HaloWindow Window, int MmasM>
__device__ __forceinline__ void halo_lane_rows(uint32_t (&a_lane)[MmasM], const IgemmInt8Conv& c, int halo_row_bytes,
                                               int tile_pixels, int warp_row, int lane) {
  constexpr int kPixelBytes = Window == HaloWindow::k3x3 ? kHaloPixelBytes : kHaloStemPixelStride;
  const int matrix = lane / 8;
#pragma unroll
  for (int mi = 0; mi < MmasM; ++mi) {
    int p = warp_row + mi * kWarpgroupM + (matrix % 2) * 8 + lane % 8;
    if (p >= tile_pixels) p = 0;
    const int oh = p / c.out_w, ow = p - oh * c.out_w;
    a_lane[mi] = oh * halo_row_bytes + ow * kPixelBytes + (matrix / 2) * kVectorBytes;
  }
}

// The window's taps over one chunk, added to acc: B from the taps' tiles at `b`, A from the halo
// at `halo`. A is double-buffered in registers: tap t + 1's fragments are loaded into the other
// buffer while tap t's wgmmas run. A wgmma reads its A registers asynchronously, so they must not
// change until the wgmma has completed: the buffer tap t + 1 overwrites was last read by tap
// t - 1's wgmmas, which the wgmma_wait<1> before its loads retires (leaving tap t's in flight).
// And a wgmma_fence orders each buffer's ldmatrix writes before the wgmmas reading them (the
// accumulators need no fence between wgmmas of one shape). ptxas checks this pipeline: a warning
// that it serialized the wgmmas would mean it found a hazard. Returns with every wgmma retired.
template <HaloWindow Window, class Stage, int MmasM>
__device__ __forceinline__ void run_halo_taps(int32_t (&acc)[MmasM][Stage::Tile::kMmas][Stage::Tile::kAccPerMma],
                                              uint32_t b, uint32_t halo, const uint32_t (&a_lane)[MmasM],
                                              int halo_row_bytes) {
  using Tile = typename Stage::Tile;
  constexpr int kMmaN = Tile::kMmaN, kMmas = Tile::kMmas, kTaps = Stage::kTaps;
  uint32_t a[2][MmasM][2][4];  // [buffer][m64][k32][register]
  const auto load_a = [&](uint32_t(&dst)[MmasM][2][4], int tap) {
    const uint32_t tap_offset =
        Window == HaloWindow::k3x3 ? tap / 3 * halo_row_bytes + tap % 3 * kHaloPixelBytes : tap * halo_row_bytes;
#pragma unroll
    for (int mi = 0; mi < MmasM; ++mi)
#pragma unroll
      for (int k32 = 0; k32 < 2; ++k32) load_matrices(dst[mi][k32], halo + a_lane[mi] + tap_offset + k32 * 32);
  };
  load_a(a[0], 0);
#pragma unroll
  for (int tap = 0; tap < kTaps; ++tap) {
    wgmma_fence();
    const uint32_t b_tap = b + tap * Stage::kTapBytes;
#pragma unroll
    for (int k32 = 0; k32 < 2; ++k32)
#pragma unroll
      for (int mi = 0; mi < MmasM; ++mi)
#pragma unroll
        for (int i = 0; i < kMmas; ++i)
          wgmma_m64nk32(acc[mi][i], a[tap % 2][mi][k32],
                        descriptor<Tile>(b_tap + i * kMmaN * kHaloChunkBytes + k32 * 32));
    wgmma_commit();
    if (tap + 1 < kTaps) {
      wgmma_wait<1>();
      load_a(a[(tap + 1) % 2], tap + 1);
    }
  }
  wgmma_wait<0>();
}

#endif

}  // namespace kiln::cuda::igemm
