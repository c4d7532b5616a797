// The provider of QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear.
#pragma once

#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda::quantize {

const TacticProvider& quantize_provider();

}  // namespace kiln::cuda::quantize
