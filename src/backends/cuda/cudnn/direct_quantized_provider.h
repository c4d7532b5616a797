// Kiln's direct quantized convolution as a tactic provider: every kiln.QConv (channels-last) and
// kiln.QMatMul, one thread per output element summing exactly in int32, the epilogue fused. Slow
// next to the tensor-core tactics, but it has no shape constraints, so layers the libraries
// refuse (channel counts that are not multiples of 4, depthwise convolutions) still run on the GPU.
#pragma once

#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

const TacticProvider& direct_quantized_provider();

}  // namespace kiln::cuda
