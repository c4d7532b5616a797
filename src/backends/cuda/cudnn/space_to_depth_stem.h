// A strided convolution over a few input channels (the 7x7 stride-2 stem of ResNet-style nets on
// RGB images) leaves tensor cores idle: cuDNN has no tensor-core engine for C=3, and the stem was
// a sixth of ResNet-50's time. Over 2x2 space-to-depth blocks of the input (channels padded to 4,
// so 16 per block) the same layer is a stride-1 convolution with a ceil(k/2)-sized kernel: each
// product of the original sum appears once, the padding adds only zeros. That convolution has
// 16 channels and runs on tensor cores. The blocks are made by a small kernel into workspace, the
// weights are rearranged once when the kernel is created.
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

// The rewrite for a channels-last, stride-2, undilated, ungrouped convolution of at most 4 input
// channels; unsupported (with the reason) for any other.
Expected<SpaceToDepthStem> space_to_depth_stem(const ConvProblem& problem);

// The blocked convolution's weights [K, R', S', 16] from the layer's [K, R, S, C] (channels-last),
// `element_size` bytes per value, zeros where a block position has no original tap.
std::vector<uint8_t> space_to_depth_weights(const SpaceToDepthStem& stem, const ConvProblem& problem,
                                            const uint8_t* weights, size_t element_size);

}  // namespace kiln::cuda
