// The int8 space-to-depth stem with the max pool after it fused (ResNet's 7x7 stride-2 conv, ReLU,
// then 3x3 stride-2 pad-1 max pool), on Hopper's warpgroup MMAs. The stem's output is the largest
// tensor of an INT8 ResNet-50 (256x112x112x64 at batch 256, 205 MB) and the pool reads it whole
// right after: fused, it never leaves the SM, and the layer writes the quarter-size pooled map.
//
// A block runs a strip of S pooled rows of one image. Each step computes two conv rows (2p and
// 2p + 1) on the halo tile's stem row form (halo_mma.cuh: the blocked rows copied once, four
// taps' MMAs, A from registers), finishes them to int8 in shared memory (the fragment epilogue,
// not stored), and pools row p from them and the previous step's row 2p - 1. The first strip's
// first step has no row above; every other strip begins with one step that only computes rows
// 2p0 - 2 and 2p0 - 1. The weights (16 KiB) are copied once a block; step s + 1's rows are copied
// while step s computes. Only the folded epilogue without a residual, 64 output channels at most
// (one 64-channel tile), output rows of at most 128 pixels (two a 256-row tile).
//
// Two forms: over the blocked rows the space-to-depth kernel made in workspace, or direct, over
// X itself: each step copies the ten image rows under its five blocked rows and makes the blocks
// in shared memory, so the blocked input (a quarter more bytes than X) is never written or read.
//
// This header is the host's side (the tiling, which the provider checks and the tests exercise
// without a GPU, and the launch), free of Kiln's heavier headers.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backends/cuda/kernels/igemm/halo_igemm_int8_conv.h"
#include "backends/cuda/kernels/igemm/igemm_int8_conv.h"

namespace kiln::cuda {

constexpr int kStemPoolBlockN = 64;        // output channels: one tile
constexpr int kStemPoolBlockM = 256;       // two warpgroups of two m64s: two conv rows
constexpr int kStemPoolThreads = 256;
constexpr int kStemPoolMaxRowPixels = kStemPoolBlockM / 2;
// The strips' lengths the provider offers as tactics (pooled rows a block).
constexpr int kStemPoolStrips[] = {8, 14, 28};

// The direct form's X: channels-last [N, H, W, C] int8 of at most 4 channels, and where block
// (b, a) starts in it (SpaceToDepthStem::origin: block b covers rows 2b - origin_h, + 1).
struct StemPoolInput {
  int32_t height = 0, width = 0, channels = 0, origin_h = 0, origin_w = 0;
};

struct StemPoolTiling {
  int32_t pool_h = 0, pool_w = 0;  // the pooled output: (OH - 1) / 2 + 1 by (OW - 1) / 2 + 1
  int32_t strip_rows = 0;          // S
  int32_t strips = 0;              // per image: ceil(pool_h / S)
  int32_t halo_row_bytes = 0;      // a blocked row: W x 16 bytes
  int32_t halo_bytes = 0;          // five blocked rows (two conv rows' taps), padded to 1024
  int32_t shared_bytes = 0;        // weights, two halos (one direct), two int8 tiles, 1024 of slack
  int64_t blocks = 0;              // N * strips, strips of an image together
  // The direct form (input.height > 0): two buffers of ten image rows (W x C bytes, a multiple of
  // 16), after the tiles.
  StemPoolInput input;
  int32_t image_row_bytes = 0;
  int32_t image_rows_bytes = 0;  // ten rows, padded to 1024
};

// The tiling of the stem's row form `rows` (HaloWindow::kStemRows4) pooled 3x3 / 2 / pad 1, in
// strips of `strip_rows` pooled rows; blocks = 0 where the tile cannot take it.
constexpr StemPoolTiling stem_pool_tiling(const IgemmInt8Conv& rows, int strip_rows) {
  StemPoolTiling t;
  if (!halo_window_fits(HaloWindow::kStemRows4, rows) || rows.out_w > kStemPoolMaxRowPixels ||
      rows.out_channels > kStemPoolBlockN || strip_rows <= 0)
    return t;
  t.pool_h = (rows.out_h - 1) / 2 + 1;
  t.pool_w = (rows.out_w - 1) / 2 + 1;
  t.strip_rows = strip_rows < t.pool_h ? strip_rows : t.pool_h;
  t.strips = (t.pool_h + t.strip_rows - 1) / t.strip_rows;
  t.halo_row_bytes = rows.in_w * rows.in_pixel_stride;
  const int halo = 5 * t.halo_row_bytes;
  t.halo_bytes = (halo + kHaloAlign - 1) / kHaloAlign * kHaloAlign;
  t.shared_bytes = halo_taps(HaloWindow::kStemRows4) * kStemPoolBlockN * kHaloChunkChannels + 2 * t.halo_bytes +
                   2 * kStemPoolBlockM * kStemPoolBlockN + kHaloAlign;
  t.blocks = static_cast<int64_t>(rows.batch) * t.strips;
  if (t.shared_bytes > kHaloMaxSharedBytes) t.blocks = 0;
  return t;
}

// The direct form's tiling (stem_pool_tiling's, reading `input` itself); blocks = 0 where an
// image row is not a whole number of 16-byte copies.
constexpr StemPoolTiling stem_pool_direct_tiling(const IgemmInt8Conv& rows, int strip_rows, const StemPoolInput& input) {
  StemPoolTiling t = stem_pool_tiling(rows, strip_rows);
  const int32_t row_bytes = input.width * input.channels;
  if (t.blocks == 0 || input.height <= 0 || input.channels > 4 || row_bytes % 16 != 0) {
    t.blocks = 0;
    return t;
  }
  t.input = input;
  t.image_row_bytes = row_bytes;
  t.image_rows_bytes = (10 * row_bytes + kHaloAlign - 1) / kHaloAlign * kHaloAlign;
  t.shared_bytes += 2 * t.image_rows_bytes - t.halo_bytes;  // one halo: the blocks are made per step
  if (t.shared_bytes > kHaloMaxSharedBytes) t.blocks = 0;
  return t;
}

// Lets the kernels use their shared memory. Once per process is enough; called from create().
cudaError_t prepare_stem_pool_igemm_int8_conv();

// x (the blocked rows, or X itself where tiling.input is set), w (the row form's weights [K, 4, 1,
// 64]) and y ([N, PH, PW, K] int8) must be 16-byte aligned, f.channel_pairs set and f.residual
// null; `tiling` is stem_pool_tiling(rows, S) or stem_pool_direct_tiling(rows, S, input).
cudaError_t launch_stem_pool_igemm_int8_conv(const IgemmInt8Conv& rows, const StemPoolTiling& tiling,
                                             const int8_t* x, const int8_t* w, const IgemmFolded& f, void* y,
                                             cudaStream_t stream);

}  // namespace kiln::cuda
