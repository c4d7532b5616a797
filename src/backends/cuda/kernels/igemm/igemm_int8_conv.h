// Kiln's int8 convolution on the tensor cores: an implicit GEMM over channels-last X [N, H, W, C]
// and W [K, R, S, C] (group 1), Y [N, OH, OW, K] = epilogue(sum over taps and channels of X * W)
// with GEMM rows M = N*OH*OW (output pixels), columns K, and reduction R*S*C walked tap by tap,
// each step one tap's 64 contiguous channels (no im2col buffer; out-of-image pixels and channels
// past C are zero-filled in shared memory). Exact int32 sums, then the quantized epilogue of each
// element (quantized_epilogue_element.cuh). X's pixels lie in_pixel_stride bytes apart, usually
// C; the int8 space-to-depth stem reads overlapping pixels (space_to_depth_row_geometry). Kept free
// of Kiln's heavier headers: nvcc compiles the implementation.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "backends/cuda/conv_geometry32.h"
#include "backends/cuda/fast_divisor.h"
#include "backends/cuda/cudnn/quantized_epilogue.h"

namespace kiln::cuda {

// C and K must be multiples of this: X rows, W rows and the tile steps are 16-byte vectors.
constexpr int kIgemmChannelMultiple = 16;

// The convolution's geometry with the divisors its kernels divide by per block, as multiplies
// (fast_divisor.h): pixels of an output image and of an output row, from the geometry; and the
// launched tile's count of output-channel tiles, set by launch_igemm_int8_conv.
struct IgemmInt8Conv : ConvGeometry32 {
  FastDivisor out_pixels_divisor, out_w_divisor, channel_tiles_divisor;

  IgemmInt8Conv() = default;
  IgemmInt8Conv(const ConvGeometry32& g)  // NOLINT: every 32-bit geometry is a kernel's geometry
      : ConvGeometry32(g), out_pixels_divisor(at_least_1(g.out_h * g.out_w)), out_w_divisor(at_least_1(g.out_w)) {}

 private:
  static int32_t at_least_1(int32_t d) { return d > 0 ? d : 1; }
};

// The common epilogue folded per output channel (FoldedEpilogue in quantized_layer.h), on the
// device: int8 Y = sat8(round(sum * scale[k] + shift[k] + residual * residual_ratio)), clamped
// below at `lower` (0 with ReLU). A null channel_pairs runs the general QuantizedEpilogue instead.
struct IgemmFolded {
  // Device: output channels 2p and 2p + 1 as the float4 (scale, scale, shift, shift), zero-padded
  // to a multiple of kIgemmFoldedChannelPad channels (igemm_channel_pairs), so that a thread's
  // two channels come in one 16-byte load and no tile checks its channels against K.
  const float4* channel_pairs = nullptr;
  const int8_t* residual = nullptr;    // 16-byte aligned, or null
  float residual_ratio = 0.f;
  float lower = -128.f;
};

// The widest tile's channels: IgemmFolded's vectors are padded to a multiple of it.
constexpr int kIgemmFoldedChannelPad = 256;

// IgemmFolded::channel_pairs on the host, from the scales then the shifts ([2 * K], as
// FoldedEpilogue holds them): (scale[2p], scale[2p + 1], shift[2p], shift[2p + 1]) for each pair p,
// zeros past K up to the next multiple of kIgemmFoldedChannelPad.
std::vector<float> igemm_channel_pairs(const std::vector<float>& scale_shift);

// A block's output tile (pixels x channels); the value is the tactic id.
enum class IgemmTile : int32_t {
  k128x128 = 0,  // 8 warps, 64x32 each
  k128x64 = 1,   // 4 warps, 64x32 each
  k64x64 = 2,    // 4 warps, 32x32 each: small layers get more blocks
  // Hopper's warpgroup MMA (wgmma, sm_90a only), 64-channel steps: one warpgroup of 64 pixels,
  // several blocks to an SM so one block's loads and epilogue overlap another's MMAs, or two
  // warpgroups of 64 pixels each. (Ids 3 and 4, 128-channel steps on two warpgroups, lost to
  // k128x128x64_wgmma on every ResNet-50 layer and were removed.)
  k128x128x64_wgmma = 5,
  k64x64x64_wgmma = 6,
  k64x128x64_wgmma = 7,
  k64x256x64_wgmma = 8,
  k128x64x64_wgmma = 9,  // one warpgroup, two m64 wgmmas deep
  // Persistent forms: the tile's blocks, as many as the SMs hold, each running tiles in turn with
  // the next tile's loads and residual in flight under this one's epilogue (folded epilogues
  // only; a layer that does not fold runs the one-tile form, igemm_tile_single_form).
  k128x128x64_wgmma_persistent = 10,
  k128x64x64_wgmma_persistent = 11,
};
// (Tiles of 64x64 warp tiles, 2 to 8 warps, lost on every ResNet-50 layer: at 230 registers a
// thread, 8 warps per SM leave the epilogue's latency exposed; docs/perf-notes.md.)
constexpr IgemmTile kIgemmTiles[] = {IgemmTile::k128x128,          IgemmTile::k128x64,
                                     IgemmTile::k64x64,            IgemmTile::k128x128x64_wgmma,
                                     IgemmTile::k64x64x64_wgmma,   IgemmTile::k64x128x64_wgmma,
                                     IgemmTile::k64x256x64_wgmma,  IgemmTile::k128x64x64_wgmma,
                                     IgemmTile::k128x128x64_wgmma_persistent,
                                     IgemmTile::k128x64x64_wgmma_persistent};
// The tile whose blocks run one tile each that a persistent tile is the form of; any other tile itself.
constexpr IgemmTile igemm_tile_single_form(IgemmTile tile) {
  switch (tile) {
    case IgemmTile::k128x128x64_wgmma_persistent: return IgemmTile::k128x128x64_wgmma;
    case IgemmTile::k128x64x64_wgmma_persistent: return IgemmTile::k128x64x64_wgmma;
    default: return tile;
  }
}
// Whether the tile runs on Hopper's warpgroup MMA (every tile but the three mma.sync ones).
constexpr bool igemm_tile_is_wgmma(IgemmTile tile) {
  return tile != IgemmTile::k128x128 && tile != IgemmTile::k128x64 && tile != IgemmTile::k64x64;
}
// Whether a device of compute capability major.minor runs the tile: the wgmma tiles are built for
// sm_90a, which only 9.0 devices (H100, H200) run.
constexpr bool igemm_tile_runs_on(IgemmTile tile, int major, int minor) {
  return !igemm_tile_is_wgmma(tile) || (major == 9 && minor == 0);
}
// The most filter taps (kernel_h * kernel_w) a layer may have: each output pixel keeps a bit per tap.
constexpr int kIgemmMaxTaps = 64;
// "128x128x64": the tile and its reduction step, as tactic names show it.
const char* igemm_tile_name(IgemmTile tile);

// Lets the tile's kernel use the shared memory it needs (over the default 48 KiB for 128x128).
// Once per process is enough; called from create(), never while capturing.
cudaError_t prepare_igemm_int8_conv(IgemmTile tile);

// A second convolution summed into the same output (a ResNet block's projection shortcut,
// fuse_shortcut_conv): its geometry, whose output pixels and channels are the first's, its X and
// W (16-byte aligned), and per output channel the factor taking the first's int32 sums into units
// of the second's (channel scale of the first / of the second), zero-padded as IgemmFolded's
// vectors. The kernel reduces the first, rescales its sums (float product rounded to nearest
// even, as igemm_shortcut_rescale states), then goes on with the second's steps into the same
// accumulators: one output tile, no int8 shortcut tensor written and read back.
struct IgemmShortcut {
  IgemmInt8Conv conv;
  const int8_t* x = nullptr;
  const int8_t* w = nullptr;
  const float* rescale = nullptr;
};

// x, w and y must be 16-byte aligned; `folded`, where its channel_pairs is set, replaces `epilogue`.
cudaError_t launch_igemm_int8_conv(const IgemmInt8Conv& conv, IgemmTile tile, const int8_t* x, const int8_t* w,
                                   const QuantizedEpilogue& epilogue, const IgemmFolded& folded, void* y,
                                   cudaStream_t stream);

// The tile's kernel summing `shortcut` into the convolution: wgmma tiles only (sm_90a), the
// folded epilogue only (folded.channel_pairs set, no residual; its scales in the shortcut's units).
cudaError_t prepare_igemm_int8_shortcut_conv(IgemmTile tile);
cudaError_t launch_igemm_int8_shortcut_conv(const IgemmInt8Conv& conv, IgemmTile tile, const int8_t* x,
                                            const int8_t* w, const IgemmShortcut& shortcut,
                                            const IgemmFolded& folded, void* y, cudaStream_t stream);

}  // namespace kiln::cuda
