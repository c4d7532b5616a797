// The providers of QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear, and of the fused
// kiln.QuantizeTranspose.
#pragma once

#include <string>

#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda::quantize {

const TacticProvider& quantize_provider();
const TacticProvider& quantize_transpose_provider();

// The types of a layer that quantizes as QuantizeLinear does (x: input 0, scale: input 1, zero
// point: input 2, y: output 0), checked against what the kernels take, and their tactic-name tag
// ("fp32_fp32_i8"). `op` names the layer's op in messages.
struct QuantizeTypes {
  DataType real = DataType::kUndefined;
  DataType scale = DataType::kUndefined;
  DataType quantized = DataType::kUndefined;
  std::string tag;
};
Expected<QuantizeTypes> quantize_types(const LayerSpec& spec, std::string_view op);

}  // namespace kiln::cuda::quantize
