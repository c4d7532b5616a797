// The halo tile's host arithmetic (halo_igemm_int8_conv.h), no GPU needed: how a layer is cut
// into blocks of whole output rows, the shared memory each block takes, and which GEMM rows
// (flattened output pixels) each block writes, on ResNet-50's 3x3 layers and on every row length
// a tile takes.
#include "backends/cuda/kernels/igemm/halo_igemm_int8_conv.h"

#include <vector>

#include "gtest/gtest.h"

namespace kiln::cuda {
namespace {

// A 3x3, stride 1, pad 1 convolution of `batch` images of h x w x c to k channels.
IgemmInt8Conv conv3x3(int batch, int h, int w, int c, int k) {
  IgemmInt8Conv g;
  g.batch = batch;
  g.in_h = g.out_h = h;
  g.in_w = g.out_w = w;
  g.in_channels = g.in_pixel_stride = c;
  g.out_channels = k;
  g.kernel_h = g.kernel_w = 3;
  g.pad_h = g.pad_w = 1;
  return g;
}

// Worked by hand: ResNet-50's layer1 (56x56, 64 -> 64) at batch 256. The 64-row tile holds one
// 56-pixel row; its halo is 3 x 58 pixels of 80 bytes (13920, padded to 14336); one chunk, so one
// stage: nine 64x64 B tiles (36864) and the halo, then the 64x64 epilogue tile and the slack.
TEST(HaloTilingTest, ResNetLayer1On64x64) {
  const HaloTiling t = halo_tiling(HaloTile::k64x64x64, conv3x3(256, 56, 56, 64, 64));
  EXPECT_EQ(t.rows_per_tile, 1);
  EXPECT_EQ(t.row_tiles, 56);
  EXPECT_EQ(t.channel_tiles, 1);
  EXPECT_EQ(t.chunks, 1);
  EXPECT_EQ(t.stages, 1);
  EXPECT_EQ(t.halo_bytes, 14336);
  EXPECT_EQ(t.stage_bytes, 36864 + 14336);
  EXPECT_EQ(t.shared_bytes, 51200 + 4096 + 1024);
  EXPECT_EQ(t.blocks, 256 * 56);
}

// layer1 on the 256-row tile: four rows a block (224 of 256 GEMM rows used).
TEST(HaloTilingTest, ResNetLayer1On256x64) {
  const HaloTiling t = halo_tiling(HaloTile::k256x64x64, conv3x3(256, 56, 56, 64, 64));
  EXPECT_EQ(t.rows_per_tile, 4);
  EXPECT_EQ(t.row_tiles, 14);
  EXPECT_EQ(t.halo_bytes, 28672);  // 6 x 58 x 80 = 27840
  EXPECT_EQ(t.shared_bytes, 36864 + 28672 + 16384 + 1024);
  EXPECT_EQ(t.blocks, 256 * 14);
}

// layer2 (28x28, 128 -> 128) on the 128x128 tile: two chunks, so two stages.
TEST(HaloTilingTest, ResNetLayer2On128x128) {
  const HaloTiling t = halo_tiling(HaloTile::k128x128x64, conv3x3(256, 28, 28, 128, 128));
  EXPECT_EQ(t.rows_per_tile, 4);
  EXPECT_EQ(t.row_tiles, 7);
  EXPECT_EQ(t.channel_tiles, 1);
  EXPECT_EQ(t.chunks, 2);
  EXPECT_EQ(t.stages, 2);
  EXPECT_EQ(t.halo_bytes, 15360);  // 6 x 30 x 80 = 14400
  EXPECT_EQ(t.stage_bytes, 73728 + 15360);
  EXPECT_EQ(t.shared_bytes, 2 * 89088 + 16384 + 1024);
  EXPECT_EQ(t.blocks, 256 * 7);
}

// layer4 (7x7, 512 -> 512) on the 64x64 tile: the whole image in a block, eight channel tiles.
TEST(HaloTilingTest, ResNetLayer4On64x64) {
  const HaloTiling t = halo_tiling(HaloTile::k64x64x64, conv3x3(256, 7, 7, 512, 512));
  EXPECT_EQ(t.rows_per_tile, 7);
  EXPECT_EQ(t.row_tiles, 1);
  EXPECT_EQ(t.channel_tiles, 8);
  EXPECT_EQ(t.chunks, 8);
  EXPECT_EQ(t.halo_bytes, 7168);  // 9 x 9 x 80 = 6480
  EXPECT_EQ(t.shared_bytes, 2 * (36864 + 7168) + 4096 + 1024);
  EXPECT_EQ(t.blocks, 256 * 8);
}

// A row longer than the tile's GEMM rows: the tile does not take the layer.
TEST(HaloTilingTest, RowsLongerThanTheTileAreRefused) {
  EXPECT_EQ(halo_tiling(HaloTile::k64x64x64, conv3x3(1, 4, 65, 64, 64)).rows_per_tile, 0);
  EXPECT_FALSE(halo_tile_takes(HaloTile::k64x64x64, conv3x3(1, 4, 65, 64, 64)));
  EXPECT_TRUE(halo_tile_takes(HaloTile::k128x64x64, conv3x3(1, 4, 65, 64, 64)));
  EXPECT_FALSE(halo_tile_takes(HaloTile::k256x64x64, conv3x3(1, 4, 257, 64, 64)));
}

// The int8 space-to-depth stem's row form (space_to_depth_row_geometry) of a 7x7, stride 2, pad 3
// stem over `batch` images of h x w: blocks of (h + 6) / 2 + 1 rows (the windows' 4 blocked rows
// begin at every output row), 64-channel pixels 16 bytes apart, 64 output channels.
IgemmInt8Conv stem_rows(int batch, int out_h, int out_w) {
  IgemmInt8Conv g;
  g.batch = batch;
  g.out_h = out_h;
  g.out_w = out_w;
  g.in_h = out_h + 3;
  g.in_w = out_w + 3;
  g.in_channels = 64;
  g.in_pixel_stride = kHaloStemPixelStride;
  g.out_channels = 64;
  g.kernel_h = 4;
  return g;
}

// Worked by hand: ResNet-50's stem at batch 256 (112x112 outputs over 115x115 blocks). The
// 128-row tile holds one 112-pixel row; its halo is 4 blocked rows of 115 x 16 bytes (7360,
// padded to 8192); one chunk: four 64x64 B tiles (16384), the halo, the 128x64 epilogue tile.
TEST(HaloTilingTest, ResNetStemRowsOn128x64) {
  const HaloTiling t = halo_tiling(HaloTile::k128x64x64, stem_rows(256, 112, 112), HaloWindow::kStemRows4);
  EXPECT_EQ(t.window, HaloWindow::kStemRows4);
  EXPECT_EQ(t.rows_per_tile, 1);
  EXPECT_EQ(t.row_tiles, 112);
  EXPECT_EQ(t.chunks, 1);
  EXPECT_EQ(t.stages, 1);
  EXPECT_EQ(t.halo_row_bytes, 1840);
  EXPECT_EQ(t.halo_bytes, 8192);
  EXPECT_EQ(t.stage_bytes, 16384 + 8192);
  EXPECT_EQ(t.shared_bytes, 24576 + 8192 + 1024);
  EXPECT_EQ(t.blocks, 256 * 112);
  EXPECT_TRUE(halo_tile_takes(HaloTile::k128x64x64, stem_rows(256, 112, 112), HaloWindow::kStemRows4));
  EXPECT_FALSE(halo_tile_takes(HaloTile::k64x64x64, stem_rows(256, 112, 112), HaloWindow::kStemRows4));
}

// Two rows a block on the 256-row tile: 5 blocked rows (9200 bytes, padded to 9216).
TEST(HaloTilingTest, ResNetStemRowsOn256x64) {
  const HaloTiling t = halo_tiling(HaloTile::k256x64x64, stem_rows(256, 112, 112), HaloWindow::kStemRows4);
  EXPECT_EQ(t.rows_per_tile, 2);
  EXPECT_EQ(t.row_tiles, 56);
  EXPECT_EQ(t.halo_bytes, 9216);
  EXPECT_EQ(t.shared_bytes, 16384 + 9216 + 16384 + 1024);
  EXPECT_EQ(t.blocks, 256 * 56);
}

// Each window takes its own convolution alone: the 3x3 tiling of the stem's rows, or the rows'
// of a 3x3, is refused, as are row forms whose blocks stop short of the last taps.
TEST(HaloTilingTest, WindowsTakeTheirOwnConvolutionsOnly) {
  EXPECT_FALSE(halo_tile_takes(HaloTile::k128x64x64, stem_rows(1, 20, 100), HaloWindow::k3x3));
  EXPECT_FALSE(halo_tile_takes(HaloTile::k128x64x64, conv3x3(1, 20, 100, 64, 64), HaloWindow::kStemRows4));
  IgemmInt8Conv short_rows = stem_rows(1, 20, 100);
  short_rows.in_w = 102;
  EXPECT_FALSE(halo_tile_takes(HaloTile::k128x64x64, short_rows, HaloWindow::kStemRows4));
  IgemmInt8Conv short_image = stem_rows(1, 20, 100);
  short_image.in_h = 22;
  EXPECT_FALSE(halo_tile_takes(HaloTile::k128x64x64, short_image, HaloWindow::kStemRows4));
  IgemmInt8Conv wide = stem_rows(1, 20, 100);
  wide.in_channels = 128;
  EXPECT_FALSE(halo_tile_takes(HaloTile::k128x64x64, wide, HaloWindow::kStemRows4));
  EXPECT_TRUE(halo_tile_takes(HaloTile::k128x64x64, stem_rows(1, 20, 100), HaloWindow::kStemRows4));
}

// Every tile, every row length it takes, short and tall images, one and many chunks: whole rows
// within BM, all of the image's rows covered once, aligned stages, and shared memory one block
// may have. (The narrowest rows make the largest halos: 1-pixel rows give a 256-row tile a halo
// of 258 x 3 pixels.)
TEST(HaloTilingTest, EveryRowLengthFitsTheTileAndItsSharedMemory) {
  for (HaloTile tile : kHaloTiles) {
    const HaloTileShape shape = halo_tile_shape(tile);
    for (int w = 1; w <= shape.block_m(); ++w)
      for (int h : {1, 2, 7, 300})
        for (int c : {64, 512}) {
          const IgemmInt8Conv conv = conv3x3(2, h, w, c, 80);
          const HaloTiling t = halo_tiling(tile, conv);
          SCOPED_TRACE(::testing::Message() << halo_tile_name(tile) << " on " << h << "x" << w << "x" << c);
          ASSERT_GE(t.rows_per_tile, 1);
          EXPECT_LE(t.rows_per_tile * w, shape.block_m());
          EXPECT_LE(t.rows_per_tile, h);
          EXPECT_TRUE(t.rows_per_tile == h || (t.rows_per_tile + 1) * w > shape.block_m()) << "the most rows that fit";
          EXPECT_GE(t.row_tiles * t.rows_per_tile, h);
          EXPECT_LT((t.row_tiles - 1) * t.rows_per_tile, h);
          EXPECT_EQ(t.channel_tiles, (80 + shape.block_n - 1) / shape.block_n);
          EXPECT_GE(t.halo_bytes, (t.rows_per_tile + 2) * (w + 2) * kHaloPixelBytes);
          EXPECT_EQ(t.halo_bytes % kHaloAlign, 0);
          EXPECT_EQ(t.stage_bytes % kHaloAlign, 0);
          EXPECT_EQ(t.stages, c > 64 ? 2 : 1);
          EXPECT_LE(t.shared_bytes, kHaloMaxSharedBytes);
          EXPECT_TRUE(halo_tile_takes(tile, conv));
        }
  }
}

// The blocks write every output pixel of every channel tile exactly once, each a run of whole
// rows of one image, ending at m_end (where the kernel's epilogue stops).
TEST(HaloTilingTest, BlocksCoverEveryOutputOnce) {
  for (HaloTile tile : kHaloTiles)
    for (const IgemmInt8Conv& conv : {conv3x3(3, 13, 11, 64, 80), conv3x3(2, 7, 7, 128, 256),
                                      conv3x3(2, 20, 1, 64, 16), conv3x3(1, 5, 64, 64, 64)}) {
      const HaloTileShape shape = halo_tile_shape(tile);
      const HaloTiling t = halo_tiling(tile, conv);
      SCOPED_TRACE(::testing::Message() << halo_tile_name(tile) << " on " << conv.batch << "x" << conv.out_h << "x"
                                        << conv.out_w);
      const int pixels = conv.batch * conv.out_h * conv.out_w;
      std::vector<int> written(static_cast<size_t>(pixels) * t.channel_tiles, 0);
      for (int block = 0; block < t.blocks; ++block) {
        const HaloBlock b = halo_block(t, conv, shape.block_n, block);
        ASSERT_LT(b.image, conv.batch);
        ASSERT_GE(b.rows, 1);
        ASSERT_LE(b.rows, t.rows_per_tile);
        ASSERT_LE(b.oh0 + b.rows, conv.out_h);
        ASSERT_EQ(b.block_n % shape.block_n, 0);
        ASSERT_LT(b.block_n, conv.out_channels);
        ASSERT_EQ(b.m_end - b.block_m, b.rows * conv.out_w);
        ASSERT_LE(b.m_end - b.block_m, shape.block_m());
        // Output channel tiles fastest: consecutive blocks share rows.
        if (block % t.channel_tiles != 0) {
          const HaloBlock previous = halo_block(t, conv, shape.block_n, block - 1);
          EXPECT_EQ(previous.block_m, b.block_m);
          EXPECT_EQ(previous.block_n + shape.block_n, b.block_n);
        }
        for (int m = b.block_m; m < b.m_end; ++m)
          ++written[static_cast<size_t>(m) * t.channel_tiles + b.block_n / shape.block_n];
      }
      for (size_t i = 0; i < written.size(); ++i) ASSERT_EQ(written[i], 1) << "pixel " << i / t.channel_tiles;
    }
}

}  // namespace
}  // namespace kiln::cuda
