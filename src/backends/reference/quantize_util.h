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
#include "core/thread_pool.h"
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

// Writes int32 accumulators into `y` (uint8 or int8) as quantize(acc[i] * scale_of(i), zero_point):
// the requantization step of QLinearConv and QLinearMatMul, which differ only in how the scale
// of element i is found.
template <class ScaleOf>
Status requantize_accumulators(const Tensor& acc, Tensor& y, int32_t zero_point, ScaleOf scale_of) {
  const int32_t* src = acc.data<int32_t>();
  auto store = [&](auto tag) -> Status {
    using Q = decltype(tag);
    Q* dst = y.data<Q>();
    parallel_for(y.numel(), 1 << 14, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        dst[i] = quantize_value<Q>(static_cast<float>(src[i]) * scale_of(i), zero_point);
    });
    return Status::Ok();
  };
  if (y.dtype() == DataType::kUInt8) return store(uint8_t{});
  if (y.dtype() == DataType::kInt8) return store(int8_t{});
  return invalid_argument("y_zero_point must be uint8 or int8, got {}", data_type_name(y.dtype()));
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
