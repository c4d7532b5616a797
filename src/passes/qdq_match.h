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
  DataType quantized = DataType::kUndefined;  // the 8-bit side's type: DQ's input, Q's output
  bool symmetric_int8() const { return quantized == DataType::kInt8 && zero_point == 0; }
  // Symmetric int8 or float8e4m3 (whose zero point is always 0): what the quantized layers take.
  bool symmetric() const { return symmetric_int8() || quantized == DataType::kFloat8E4M3; }
  bool integer() const { return quantized == DataType::kInt8 || quantized == DataType::kUInt8; }
};

// `node` as a per-tensor QuantizeLinear or DequantizeLinear (`op`) with constant parameters, of
// uint8, int8 or float8e4m3.
std::optional<PerTensorQuant> per_tensor_quant(const Node* node, std::string_view op);

// The DequantizeLinear producing `v`, when it is per-tensor with constant parameters.
std::optional<PerTensorQuant> dequantize_producer(const Value* v);
// The same, only when it dequantizes symmetric int8 or float8e4m3 (what the quantized layers take).
std::optional<PerTensorQuant> symmetric_dequantize_producer(const Value* v);

// Whether a constant tensor holds only zeros (any numeric type; false when it cannot be read).
bool all_zero(const Tensor& t);

// `v`'s value as float32 when it is a float32 constant or DequantizeLinear of constants (weights
// stored quantized), else nullopt.
std::optional<Tensor> float_weights(const Value* v);

// Symmetric quantization to `type` per slice along `axis`: scale[k] = max |w_k| / 127 for int8,
// / 448 for float8e4m3 (1 for an all-zero slice), q = saturate(round_half_to_even(w / scale[k]))
// as QuantizeLinear computes (to the nearest E4M3 value, ties to even, for float8e4m3).
struct ChannelQuantized {
  Tensor q;       // `type`, w's shape
  Tensor scales;  // float32 [w.dim(axis)]
};
Expected<ChannelQuantized> quantize_per_channel(const Tensor& w, int axis, DataType type = DataType::kInt8);

// The ONNX element type number of a float activation type (1, 10, 16); 0 for anything else.
int64_t onnx_float_type(DataType t);

}  // namespace kiln
