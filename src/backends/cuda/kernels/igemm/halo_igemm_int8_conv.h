// Kiln's halo-tile int8 convolution on Hopper's warpgroup MMAs: the implicit GEMM of
// igemm_int8_conv.h (the same X [N,H,W,C], W [K,R,S,C], Y [N,OH,OW,K] and folded epilogue) for
// two windows alone, with each block's input pixels copied to shared memory once per 64-channel
// chunk (the halo) and every tap read from there:
//  * 3x3, stride 1, pad 1: the halo is the tile's output rows and the row above and below, one
//    padding pixel either side. The wgmma tiles of igemm_wgmma_sm90a.cu copy a 64-channel A tile
//    per tap, so they read every input pixel nine times from L2: that, not the MMAs, is what
//    ResNet-50's 3x3 layers wait on.
//  * the int8 space-to-depth stem's row form (space_to_depth_row_geometry: kernel (4, 1) over
//    64-channel pixels that lie 16 bytes apart and overlap): the halo is the blocked input's rows
//    as they lie, and each output pixel's four 64-byte taps are read from it. The implicit GEMM
//    copies each tap's 64 bytes per pixel, sixteen times each blocked byte, from L2.
//
// A block computes TR whole output rows of one image (TR * OW pixels of the BM rows of the wgmma
// tile; the rest are computed on any halo bytes and never written) by BN output channels. This
// header is the host's side: the tiles, the tiling of a layer (which the provider checks and
// the tests exercise without a GPU), and the launch. Kept free of Kiln's heavier headers: nvcc
// compiles the kernel (halo_igemm_int8_conv_sm90a.cu).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backends/cuda/kernels/igemm/igemm_int8_conv.h"

namespace kiln::cuda {

// Input channels are taken 64 at a time (one halo and one set of B tiles a chunk): C must be a
// multiple of this.
constexpr int kHaloChunkChannels = 64;

// The windows the halo tile runs; the value is part of the tactic id.
enum class HaloWindow : int32_t {
  k3x3 = 0,        // 3x3, stride 1, pad 1; C a multiple of 64
  kStemRows4 = 1,  // the stem's row form: kernel (4, 1), stride 1, no padding, C = 64 read 16 bytes a pixel
};
constexpr int halo_kernel_rows(HaloWindow window) { return window == HaloWindow::k3x3 ? 3 : 4; }
constexpr int halo_taps(HaloWindow window) { return window == HaloWindow::k3x3 ? 9 : 4; }
// The bytes between a stem row form's pixels: one 2x2 block of 4 channels.
constexpr int kHaloStemPixelStride = 16;
// A halo pixel's 64 bytes are stored 80 bytes apart: the eight row addresses of an ldmatrix phase
// (usually consecutive pixels) then start on banks 0, 20, 8, 28, 16, 4, 24, 12, and their 16-byte
// pieces never share a bank (the mma.sync tiles pad their rows the same way).
constexpr int kHaloPixelBytes = 80;
// The wgmma B tiles are 1024-byte aligned (the swizzle is a function of the absolute address).
constexpr int kHaloAlign = 1024;
// The dynamic shared memory one block may opt in to on compute capability 9.0 (227 KiB).
constexpr int kHaloMaxSharedBytes = 227 * 1024;

// A block's tile; the value is the tactic id. 64 pixel rows per warpgroup and m64 wgmma, BN output
// channels, 64-channel chunks.
enum class HaloTile : int32_t {
  k64x64x64 = 0,    // one warpgroup: the 7x7 and 14x14 layers, many small blocks
  k128x64x64 = 1,   // two warpgroups of one m64 each
  k256x64x64 = 2,   // two warpgroups two m64s deep: four 56-pixel rows share the weights' reads
  k128x128x64 = 3,  // two warpgroups, m64n128 wgmmas: K >= 128 reads each halo for twice the channels
};
constexpr HaloTile kHaloTiles[] = {HaloTile::k64x64x64, HaloTile::k128x64x64, HaloTile::k256x64x64,
                                   HaloTile::k128x128x64};

// The template parameters of a tile's kernel.
struct HaloTileShape {
  int warpgroups = 1, mmas_m = 1, block_n = 64;
  constexpr int block_m() const { return 64 * warpgroups * mmas_m; }
  constexpr int threads() const { return 128 * warpgroups; }
};
constexpr HaloTileShape halo_tile_shape(HaloTile tile) {
  switch (tile) {
    case HaloTile::k64x64x64: return {1, 1, 64};
    case HaloTile::k128x64x64: return {2, 1, 64};
    case HaloTile::k256x64x64: return {2, 2, 64};
    case HaloTile::k128x128x64: return {2, 1, 128};
  }
  return {};
}
// Whether a device of compute capability major.minor runs the tiles: they are sm_90a code, which
// only 9.0 devices (H100, H200) run.
constexpr bool halo_tiles_run_on(int major, int minor) { return major == 9 && minor == 0; }
// "128x64x64_wgmma": the tile and its chunk, as tactic names show it.
const char* halo_tile_name(HaloTile tile);

// How a layer is cut into blocks, and the shared memory of each, for one tile. Shared memory, from
// its 1024-byte aligned start: `stages` stages, each the taps' B tiles (BN x 64 bytes each,
// swizzled as the wgmma tiles place B) then the halo, padded to 1024: for 3x3, (TR + 2) rows of
// OW + 2 pixels of 80 bytes; for the stem's rows, TR + 3 of the input's rows (W x 16 bytes) as
// they lie. Then the BM x BN int8 tile the fragment epilogue reorders through (with the
// residual), at stages * stage_bytes; then 1024 bytes of slack for the alignment.
struct HaloTiling {
  HaloWindow window = HaloWindow::k3x3;
  int32_t rows_per_tile = 0;  // TR: whole output rows a block computes; 0 when a row is over BM
  int32_t row_tiles = 0;      // per image: ceil(OH / TR)
  int32_t channel_tiles = 0;  // ceil(K / BN)
  int32_t chunks = 0;         // C / 64
  int32_t stages = 0;         // 2 (chunk c + 1 loads while chunk c computes), or 1 for one chunk
  int32_t halo_row_bytes = 0;  // between the halo's rows
  int32_t halo_bytes = 0;      // one stage's halo, padded to 1024
  int32_t stage_bytes = 0;
  int32_t shared_bytes = 0;
  int64_t blocks = 0;  // N * row_tiles * channel_tiles, output channels fastest
};

// Whether `c` is the window's convolution (and no other). The stem's rows must hold every tap of
// every output pixel: W at least OW + 3 blocks and H at least OH + 3 rows.
constexpr bool halo_window_fits(HaloWindow window, const IgemmInt8Conv& c) {
  if (c.stride_h != 1 || c.stride_w != 1 || c.dilation_h != 1 || c.dilation_w != 1) return false;
  if (window == HaloWindow::k3x3)
    return c.kernel_h == 3 && c.kernel_w == 3 && c.pad_h == 1 && c.pad_w == 1 &&
           c.in_channels % kHaloChunkChannels == 0 && c.in_pixel_stride == c.in_channels && c.in_h == c.out_h &&
           c.in_w == c.out_w;
  return c.kernel_h == 4 && c.kernel_w == 1 && c.pad_h == 0 && c.pad_w == 0 && c.in_channels == kHaloChunkChannels &&
         c.in_pixel_stride == kHaloStemPixelStride && c.in_w >= c.out_w + 3 && c.in_h >= c.out_h + 3;
}

// The tiling of `c` (the window's convolution) on `tile`: TR the most whole rows that fit BM (at
// most OH), TR = 0 when OW > BM (the tile cannot take the layer).
constexpr HaloTiling halo_tiling(HaloTile tile, const IgemmInt8Conv& c, HaloWindow window = HaloWindow::k3x3) {
  const HaloTileShape shape = halo_tile_shape(tile);
  HaloTiling t;
  t.window = window;
  if (c.out_w <= 0 || c.out_h <= 0 || c.out_w > shape.block_m()) return t;
  t.rows_per_tile = shape.block_m() / c.out_w < c.out_h ? shape.block_m() / c.out_w : c.out_h;
  t.row_tiles = (c.out_h + t.rows_per_tile - 1) / t.rows_per_tile;
  t.channel_tiles = (c.out_channels + shape.block_n - 1) / shape.block_n;
  t.chunks = c.in_channels / kHaloChunkChannels;
  t.stages = t.chunks > 1 ? 2 : 1;
  const bool rows3x3 = window == HaloWindow::k3x3;
  t.halo_row_bytes = rows3x3 ? (c.out_w + 2) * kHaloPixelBytes : c.in_w * c.in_pixel_stride;
  const int halo = (t.rows_per_tile + halo_kernel_rows(window) - 1) * t.halo_row_bytes;
  t.halo_bytes = (halo + kHaloAlign - 1) / kHaloAlign * kHaloAlign;
  t.stage_bytes = halo_taps(window) * shape.block_n * kHaloChunkChannels + t.halo_bytes;
  t.shared_bytes = t.stages * t.stage_bytes + shape.block_m() * shape.block_n + kHaloAlign;
  t.blocks = static_cast<int64_t>(c.batch) * t.row_tiles * t.channel_tiles;
  return t;
}

// Block `block`'s share of the output: rows oh0 .. oh0 + rows - 1 of image `image` (the last row
// tile of an image may hold fewer than TR), channels block_n .. block_n + BN - 1, which are the
// consecutive GEMM rows (flattened output pixels) block_m .. m_end - 1. Output channel tiles are
// fastest, then row tiles, then images, as tile_origin orders the other tiles: the blocks reading
// one halo run together, so all but the first read it from L2.
struct HaloBlock {
  int32_t image = 0, oh0 = 0, rows = 0, block_n = 0, block_m = 0, m_end = 0;
};
constexpr HaloBlock halo_block(const HaloTiling& t, const IgemmInt8Conv& c, int block_n_size, int block) {
  HaloBlock b;
  const int row_tile = block / t.channel_tiles % t.row_tiles;
  b.image = block / t.channel_tiles / t.row_tiles;
  b.oh0 = row_tile * t.rows_per_tile;
  b.rows = c.out_h - b.oh0 < t.rows_per_tile ? c.out_h - b.oh0 : t.rows_per_tile;
  b.block_n = block % t.channel_tiles * block_n_size;
  b.block_m = (b.image * c.out_h + b.oh0) * c.out_w;
  b.m_end = b.block_m + b.rows * c.out_w;
  return b;
}

// Whether `tile` runs the layer `c` (the window's convolution): its rows fit the tile and its
// shared memory one block.
constexpr bool halo_tile_takes(HaloTile tile, const IgemmInt8Conv& c, HaloWindow window = HaloWindow::k3x3) {
  const HaloTiling t = halo_tiling(tile, c, window);
  return halo_window_fits(window, c) && t.rows_per_tile > 0 && t.shared_bytes <= kHaloMaxSharedBytes;
}

// Lets the tile's kernel for the window use up to kHaloMaxSharedBytes of shared memory. Once per
// process is enough; called from create(), never while capturing.
cudaError_t prepare_halo_igemm_int8_conv(HaloWindow window, HaloTile tile);

// x, w, y and f.residual (where set) must be 16-byte aligned, f.channel_pairs set: the kernel runs
// the folded epilogue only. `tiling` is halo_tiling(tile, conv, window), and names the window.
cudaError_t launch_halo_igemm_int8_conv(const IgemmInt8Conv& conv, HaloTile tile, const HaloTiling& tiling,
                                        const int8_t* x, const int8_t* w, const IgemmFolded& f, void* y,
                                        cudaStream_t stream);

}  // namespace kiln::cuda
