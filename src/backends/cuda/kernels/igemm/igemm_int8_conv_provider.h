// Kiln's int8 implicit-GEMM convolution (igemm_int8_conv.h) as a tactic provider: channels-last
// kiln.QConv, group 1, input and output channels multiples of 16, any kernel size, stride,
// padding and dilation, the whole quantized epilogue fused. One tactic per block tile.
#pragma once

#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

const TacticProvider& igemm_int8_conv_provider();

}  // namespace kiln::cuda
