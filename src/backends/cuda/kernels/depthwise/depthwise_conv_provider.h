// Kiln's depthwise convolution as a tactic provider: channels-last 2-D convolutions whose every
// channel is its own group (group == C == K), the epilogue fused. cuDNN runs these far from the
// memory bound; this provider's tactics are timed against cuDNN's like any other.
#pragma once

#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

const TacticProvider& depthwise_conv_provider();

}  // namespace kiln::cuda
