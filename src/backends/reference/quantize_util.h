// Linear (de)quantization arithmetic shared by QuantizeLinear, DequantizeLinear,
// DynamicQuantizeLinear and the integer/quantized Conv and MatMul kernels.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

// round-half-to-even(v) + zero_point, saturated to Q's range (Q = uint8_t or int8_t).
template <class Q>
Q quantize_value(float v, int32_t zero_point) {
  // nearbyint rounds half to even in the default rounding mode, as ONNX requires.
  const float r = std::isnan(v) ? static_cast<float>(zero_point) : std::nearbyint(v) + static_cast<float>(zero_point);
  const float lo = std::numeric_limits<Q>::min(), hi = std::numeric_limits<Q>::max();
  return static_cast<Q>(std::clamp(r, lo, hi));
}

// Per-tensor or per-axis quantization parameters: the value for element i of `axis` is
// values[i] (one value for all when per-tensor).
template <class V>
struct PerAxis {
  std::vector<V> values;
  int axis = -1;  // -1: per-tensor
  V at(int64_t index_on_axis) const { return values[axis < 0 ? 0 : static_cast<size_t>(index_on_axis)]; }
};

// Reads a scale or zero-point tensor (any numeric type) for a tensor of `dims`: a scalar or
// one-element tensor is per-tensor; a 1-D tensor must match dims[axis]. An absent tensor gives
// `absent_value` per tensor.
template <class V>
Expected<PerAxis<V>> read_per_axis(const Tensor* t, const std::vector<int64_t>& dims, int axis, V absent_value,
                                   const char* what) {
  PerAxis<V> p;
  if (t == nullptr) {
    p.values = {absent_value};
    return p;
  }
  KILN_ASSIGN_OR_RETURN(std::vector<double> v, tensor_to_doubles(*t));
  if (t->numel() != 1) {
    if (t->rank() != 1 || axis < 0 || axis >= static_cast<int>(dims.size()) ||
        t->dim(0) != dims[static_cast<size_t>(axis)])
      return invalid_argument("the {} of shape {} is neither one value nor one per element of axis {} of {}", what,
                              dims_to_string(t->dims()), axis, dims_to_string(dims));
    p.axis = axis;
  }
  for (double x : v) p.values.push_back(static_cast<V>(x));
  return p;
}

// x - zero_point as int32 for a uint8/int8/int32 tensor x (zero point per tensor or along axis).
Expected<Tensor> widen_minus_zero_point(const Tensor& x, const Tensor* zero_point, int axis, const char* what);

}  // namespace kiln
