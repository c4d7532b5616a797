// The (de)quantization of one element, shared by the quantize kernels (quantize_kernels.cu) and
// the fused quantize-transpose (quantize_transpose.cu). Their arithmetic is the reference kernels'
// (see src/backends/reference/quantize_util.h): float division and multiplication rounded to
// nearest (the __f*_rn intrinsics keep nvcc from contracting or approximating them), round half
// to even, saturation to the quantized type. float8e4m3 (__nv_fp8_e4m3) has no zero point: its
// conversion rounds to nearest even and saturates to +-448 (__NV_SATFINITE), as core/float8.h does.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <cstdint>
#include <type_traits>

#include "kiln/data_type.h"

namespace kiln::cuda::quantize {

template <class T>
__device__ __forceinline__ float to_float(T v) {
  if constexpr (std::is_same_v<T, __half>) return __half2float(v);
  else if constexpr (std::is_same_v<T, __nv_bfloat16>) return __bfloat162float(v);
  else return static_cast<float>(v);
}

template <class T>
__device__ __forceinline__ T from_float(float v) {
  if constexpr (std::is_same_v<T, __half>) return __float2half_rn(v);
  else if constexpr (std::is_same_v<T, __nv_bfloat16>) return __float2bfloat16_rn(v);
  else return v;
}

template <class Q>
inline constexpr bool kIsFp8 = std::is_same_v<Q, __nv_fp8_e4m3>;

// round_half_even(v) + zero_point saturated to Q; NaN gives the zero point (E4M3: NaN).
template <class Q>
__device__ __forceinline__ Q quantize_value(float v, int32_t zero_point) {
  if constexpr (kIsFp8<Q>) {
    return Q(v);
  } else {
    constexpr float kLo = std::is_signed_v<Q> ? -128.f : 0.f;
    constexpr float kHi = std::is_signed_v<Q> ? 127.f : 255.f;
    const float zp = static_cast<float>(zero_point);
    const float r = isnan(v) ? zp : __fadd_rn(rintf(v), zp);
    return static_cast<Q>(fminf(fmaxf(r, kLo), kHi));
  }
}

template <class Q>
__device__ __forceinline__ int32_t zero_point_at(const Q* zero_point, int64_t p) {
  if constexpr (kIsFp8<Q>) return 0;  // the provider checks that it is 0
  else return zero_point == nullptr ? 0 : static_cast<int32_t>(zero_point[p]);
}

// x - zero_point as float (exact for both kinds of type).
template <class Q>
__device__ __forceinline__ float centered_value(Q x, int32_t zero_point) {
  if constexpr (kIsFp8<Q>) return static_cast<float>(x);
  else return static_cast<float>(static_cast<int32_t>(x) - zero_point);
}

// QuantizeLinear's element (x / scale, rounded, plus the zero point, saturated to Q) and
// DequantizeLinear's ((x - zero point) * scale), each with its parameters at index p.
template <class X, class S, class Q>
struct QuantizeElement {
  const S* scale;
  const Q* zero_point;
  __device__ __forceinline__ Q operator()(X v, int64_t p) const {
    return quantize_value<Q>(__fdiv_rn(to_float(v), to_float(scale[p])), zero_point_at(zero_point, p));
  }
};

template <class Q, class S>
struct DequantizeElement {
  const S* scale;
  const Q* zero_point;
  __device__ __forceinline__ S operator()(Q v, int64_t p) const {
    return from_float<S>(__fmul_rn(centered_value(v, zero_point_at(zero_point, p)), to_float(scale[p])));
  }
};

// Calls f(T{}) with the device type of a float DataType; false when it is none.
template <class F>
bool with_float_type(DataType t, F&& f) {
  switch (t) {
    case DataType::kFloat32: f(float{}); return true;
    case DataType::kFloat16: f(__half{}); return true;
    case DataType::kBFloat16: f(__nv_bfloat16{}); return true;
    default: return false;
  }
}

// Calls f(Q{}) for uint8, int8 or float8e4m3; false for anything else.
template <class F>
bool with_quantized_type(DataType t, F&& f) {
  switch (t) {
    case DataType::kUInt8: f(uint8_t{}); return true;
    case DataType::kInt8: f(int8_t{}); return true;
    case DataType::kFloat8E4M3: f(__nv_fp8_e4m3{}); return true;
    default: return false;
  }
}

}  // namespace kiln::cuda::quantize
