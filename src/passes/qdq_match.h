// What the Q/DQ passes (propagate_qdq, fuse_qdq, fuse_qlinear) read off QuantizeLinear and
// DequantizeLinear nodes, and the per-channel symmetric quantization of float weights.
#pragma once

#include <optional>

#include "core/error.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace kiln {

// A per-tensor Q or DQ node: its constant scale (positive, finite) and zero point (0 when absent).
struct PerTensorQuant {
  const Node* node = nullptr;
  float scale = 0.f;
  int32_t zero_point = 0;
  DataType quantized = DataType::kUndefined;  // the int side's type: DQ's input, Q's output
  bool symmetric_int8() const { return quantized == DataType::kInt8 && zero_point == 0; }
};

// `node` as a per-tensor QuantizeLinear or DequantizeLinear (`op`) with constant parameters.
std::optional<PerTensorQuant> per_tensor_quant(const Node* node, std::string_view op);

// The DequantizeLinear producing `v`, when it is per-tensor with constant parameters.
std::optional<PerTensorQuant> dequantize_producer(const Value* v);
// The same, only when it dequantizes symmetric int8 (what the quantized layers take).
std::optional<PerTensorQuant> int8_dequantize_producer(const Value* v);

// Whether a constant tensor holds only zeros (any numeric type; false when it cannot be read).
bool all_zero(const Tensor& t);

// `v`'s value as float32 when it is a float32 constant or DequantizeLinear of constants (weights
// stored quantized), else nullopt.
std::optional<Tensor> float_weights(const Value* v);

// Symmetric int8 quantization per slice along `axis`: scale[k] = max |w_k| / 127 (1 for an
// all-zero slice), q = saturate(round_half_to_even(w / scale[k])), as QuantizeLinear computes.
struct ChannelQuantized {
  Tensor q;       // int8, w's shape
  Tensor scales;  // float32 [w.dim(axis)]
};
Expected<ChannelQuantized> quantize_per_channel(const Tensor& w, int axis);

// The ONNX element type number of a float activation type (1, 10, 16); 0 for anything else.
int64_t onnx_float_type(DataType t);

}  // namespace kiln
