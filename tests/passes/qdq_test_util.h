// Test helper for the Q/DQ passes: Q/DQ nodes and weights whose quantization is exact. Scales are
// powers of two and every weight is q * 2^-7 with integer q, |q| <= 127, reaching 127 in each
// output channel; so the pass re-quantizes them to the same q and scale 2^-7, the float layer
// of the unoptimized graph computes its sums exactly, and both graphs agree to the bit.
#pragma once

#include <random>

#include "core/float8.h"

#include "passes/pass_test_util.h"

namespace kiln::testing {

inline Value* int8_zero(GraphBuilder& b, const std::string& name) {
  return b.constant(name, make_tensor<int8_t>(DataType::kInt8, {}, {0}));
}

// The zero point of a Q/DQ pair of `type` (int8 or float8e4m3): its type is the quantized one.
inline Value* zero_of(GraphBuilder& b, const std::string& name, DataType type) {
  return type == DataType::kInt8 ? int8_zero(b, name) : b.constant(name, Tensor(type, {}));
}

inline Value* quantize(GraphBuilder& b, const std::string& name, Value* x, float scale,
                       DataType type = DataType::kInt8) {
  return b.node("QuantizeLinear", name, {x, b.scalar(name + ".scale", scale), zero_of(b, name + ".zp", type)});
}

inline Value* dequantize(GraphBuilder& b, const std::string& name, Value* q, float scale,
                         DataType type = DataType::kInt8) {
  return b.node("DequantizeLinear", name, {q, b.scalar(name + ".scale", scale), zero_of(b, name + ".zp", type)});
}

// x -> QuantizeLinear -> DequantizeLinear, both named after `name`.
inline Value* fake_quant(GraphBuilder& b, const std::string& name, Value* x, float scale,
                         DataType type = DataType::kInt8) {
  return dequantize(b, name + ".dq", quantize(b, name + ".q", x, scale, type), scale, type);
}

// Float weights `draw(rng) * unit` whose per-slice maximum magnitude along `axis` is exactly
// `max_value * unit`: each slice's first element is +-max_value (the sign of its draw).
template <class Draw>
Tensor slice_max_weights(std::vector<int64_t> dims, int axis, uint32_t seed, float max_value, float unit, Draw draw) {
  Tensor t(DataType::kFloat32, dims);
  std::mt19937 rng(seed);
  int64_t inner = 1;
  for (size_t i = static_cast<size_t>(axis) + 1; i < dims.size(); ++i) inner *= dims[i];
  const int64_t channels = dims[static_cast<size_t>(axis)];
  std::vector<bool> has_max(static_cast<size_t>(channels), false);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const int64_t k = (i / inner) % channels;
    float v = draw(rng);
    if (!has_max[static_cast<size_t>(k)]) v = (v < 0 ? -max_value : max_value);
    has_max[static_cast<size_t>(k)] = true;
    t.data<float>()[i] = v * unit;
  }
  return t;
}

// Float weights q * 2^-7 whose per-slice maximum along `axis` is exactly 127 * 2^-7.
inline Tensor exact_weights(std::vector<int64_t> dims, int axis, uint32_t seed) {
  std::uniform_int_distribution<int> u(-127, 127);
  return slice_max_weights(std::move(dims), axis, seed, 127.f, 1.f / 128.f,
                           [&u](std::mt19937& rng) { return static_cast<float>(u(rng)); });
}

// The FP8 counterpart: E4M3 values times 2^-9 whose per-slice maximum along `axis` is exactly
// 448 * 2^-9, so the pass's scale is 2^-9 and its E4M3 weights are these values exactly.
inline Tensor exact_fp8_weights(std::vector<int64_t> dims, int axis, uint32_t seed) {
  std::uniform_int_distribution<int> u(0, 0xFD);  // every finite code but 448 (0x7E) and NaN
  return slice_max_weights(std::move(dims), axis, seed, kFloat8E4M3Max, 1.f / 512.f, [&u](std::mt19937& rng) {
    int code = u(rng);
    if ((code & 0x7F) >= 0x7E) code = 0x7D;
    return e4m3_to_float(static_cast<uint8_t>(code));
  });
}

}  // namespace kiln::testing
