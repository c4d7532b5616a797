// The int8 space-to-depth stem with the max pool after it fused (ResNet's 7x7 stride-2 conv, ReLU,
// then 3x3 stride-2 pad-1 max pool), on Hopper's warpgroup MMAs. The stem's output is the largest
// tensor of an INT8 ResNet-50 (256x112x112x64 at batch 256, 205 MB) and the pool reads it whole
// right after: fused, it never leaves the SM, and the layer writes the quarter-size pooled map.
//
// A block runs a strip of S pooled rows of one image. Each step computes two conv rows (2p and
// 2p + 1) on the stem's row form (the blocked rows copied once, four taps' MMAs), finishes them to
// int8 in shared memory (the fragment epilogue, not stored), and pools row p from them and the
// previous step's row 2p - 1. Each conv row is 128 rows of the 256-row tile (two m64s; those past
// OW are computed on any bytes and never read), so that every m64's A operand is a sliding window
// over one blocked row, read by the wgmma straight from the copied rows (sliding_rows_descriptor):
// no ldmatrix, and no A registers, which spilled and made ptxas serialize the wgmmas. The first strip's
// first step has no row above; every other strip begins with one step that only computes rows
// 2p0 - 2 and 2p0 - 1. The weights (16 KiB) are copied once a block; step s + 1's rows are copied
// while step s computes. Only the folded epilogue without a residual, 64 output channels at most
// (one 64-channel tile), output rows of at most 128 pixels (two a 256-row tile).
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
constexpr int kStemPoolTiles = 3;  // int8 tiles in turn: the step's, the one pooled, the row above
// The strips' lengths the provider offers as tactics (pooled rows a block).
constexpr int kStemPoolStrips[] = {8, 14, 28};

struct StemPoolTiling {
  int32_t pool_h = 0, pool_w = 0;  // the pooled output: (OH - 1) / 2 + 1 by (OW - 1) / 2 + 1
  int32_t strip_rows = 0;          // S
  int32_t strips = 0;              // per image: ceil(pool_h / S)
  int32_t halo_row_bytes = 0;      // a blocked row: W x 16 bytes
  int32_t halo_bytes = 0;          // five blocked rows (two conv rows' taps) and the window's overrun, padded to 1024
  int32_t shared_bytes = 0;        // weights, two halos, three int8 tiles, 1024 of alignment slack
  int64_t blocks = 0;              // N * strips, strips of an image together
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
  // Five rows; the last row's second m64 reads up to pixel 127 + 3, past a narrower row's end.
  const int window_end = 4 * t.halo_row_bytes + (kStemPoolMaxRowPixels + 3) * kHaloStemPixelStride;
  const int halo = 5 * t.halo_row_bytes > window_end ? 5 * t.halo_row_bytes : window_end;
  t.halo_bytes = (halo + kHaloAlign - 1) / kHaloAlign * kHaloAlign;
  t.shared_bytes = halo_taps(HaloWindow::kStemRows4) * kStemPoolBlockN * kHaloChunkChannels + 2 * t.halo_bytes +
                   kStemPoolTiles * kStemPoolBlockM * kStemPoolBlockN + kHaloAlign;
  t.blocks = static_cast<int64_t>(rows.batch) * t.strips;
  if (t.shared_bytes > kHaloMaxSharedBytes) t.blocks = 0;
  return t;
}

// Lets the kernel use its shared memory. Once per process is enough; called from create().
cudaError_t prepare_stem_pool_igemm_int8_conv();

// x (the blocked rows), w (the row form's weights [K, 4, 1, 64]) and y ([N, PH, PW, K] int8) must
// be 16-byte aligned, f.channel_pairs set and f.residual null; `tiling` is stem_pool_tiling(rows, S).
cudaError_t launch_stem_pool_igemm_int8_conv(const IgemmInt8Conv& rows, const StemPoolTiling& tiling,
                                             const int8_t* x, const int8_t* w, const IgemmFolded& f, void* y,
                                             cudaStream_t stream);

}  // namespace kiln::cuda
