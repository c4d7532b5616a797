// A strided convolution over a few input channels (the 7x7 stride-2 stem of ResNet-style nets on
// RGB images) leaves tensor cores idle: cuDNN has no tensor-core engine for C=3, and the stem was
// a sixth of ResNet-50's time. Over 2x2 space-to-depth blocks of the input (channels padded to 4,
// so 16 per block) the same layer is a stride-1 convolution with a ceil(k/2)-sized kernel: each
// product of the original sum appears once, the padding adds only zeros. That convolution has
// 16 channels and runs on tensor cores. The blocks are made by a small kernel into workspace, the
// weights are rearranged once when the kernel is created. Float layers run the blocked convolution
// on cuDNN (cudnn_s2d_conv), int8 kiln.QConv on Kiln's implicit GEMM (kiln_s2d_igemm_int8_conv):
// only the reduction is rearranged, so the quantized layer's scales and epilogue stay as they are.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "backends/cuda/cudnn/conv_problem.h"

namespace kiln::cuda {

struct SpaceToDepthStem {
  static constexpr int64_t kPixelChannels = 4;                      // X's channels, padded
  static constexpr int64_t kBlockChannels = 4 * kPixelChannels;     // per 2x2 block
  int64_t channels = 0, height = 0, width = 0;                      // X's real size
  // Per axis (h, w): block b covers input rows 2b - origin and 2b - origin + 1; origin is the
  // conv's begin padding rounded up to even, so the stride-2 windows start on block edges.
  std::array<int64_t, 2> origin{};
  // The stride-1 convolution over the blocks (16 channels, no padding); its output is the layer's.
  ConvProblem blocks;
  size_t block_bytes() const;  // of the blocked input [N, H', W', 16]
};

// The rewrite for a channels-last, stride-2, undilated, ungrouped float Conv/FusedConv or int8
// kiln.QConv of at most 4 input channels; unsupported (with the reason) for any other.
Expected<SpaceToDepthStem> space_to_depth_stem(const ConvProblem& problem);

// The blocked convolution read by rows, as the int8 implicit GEMM takes it: a kernel row's
// kernel_w' neighbouring blocks are kernel_w' * 16 contiguous channels, so the blocked convolution
// (stride 1, no padding) is exactly one of kernel (kernel_h', 1) over pixels of kernel_w' * 16
// channels that lie 16 apart (in_pixel_stride) and overlap. Its weights [K, kernel_h', 1,
// kernel_w' * 16] are the blocked ones [K, kernel_h', kernel_w', 16] byte for byte, and the pixel
// of output column x spans blocks x .. x + kernel_w' - 1, inside the blocked width
// out_w + kernel_w' - 1. The implicit GEMM's reduction steps are 64 bytes of one tap: a 7x7 stem's
// 4x4 kernel of 16-channel taps would fill each step a quarter; its four 64-channel rows fill them.
ConvGeometry32 space_to_depth_row_geometry(const SpaceToDepthStem& stem);

// The blocked convolution's weights [K, R', S', 16] from the layer's [K, R, S, C] (channels-last),
// `element_size` bytes per value, zeros where a block position has no original tap.
std::vector<uint8_t> space_to_depth_weights(const SpaceToDepthStem& stem, const ConvProblem& problem,
                                            const uint8_t* weights, size_t element_size);

}  // namespace kiln::cuda
