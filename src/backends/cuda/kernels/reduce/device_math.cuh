// Device-side basics shared by the reduction-family kernels: element types by DataType, loads
// into the accumulator type and stores back, and shuffles of any small accumulator struct.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "backends/cuda/kernels/reduce/launchers.h"

namespace kiln::cuda::reduce {

// The accumulator of element type T: float for the 16-bit floats and float, double for double,
// int64 for integers (exact sums and products, as ONNX's integer reductions are).
template <class T>
using AccOf = std::conditional_t<std::is_same_v<T, double>, double, std::conditional_t<std::is_integral_v<T>, int64_t, float>>;

template <class A, class T>
__device__ __forceinline__ A load_as(T v) {
  if constexpr (std::is_same_v<T, __half>) return static_cast<A>(__half2float(v));
  else if constexpr (std::is_same_v<T, __nv_bfloat16>) return static_cast<A>(__bfloat162float(v));
  else return static_cast<A>(v);
}

template <class T, class A>
__device__ __forceinline__ T store_as(A v) {
  if constexpr (std::is_same_v<T, __half>) return __float2half_rn(static_cast<float>(v));
  else if constexpr (std::is_same_v<T, __nv_bfloat16>) return __float2bfloat16_rn(static_cast<float>(v));
  else return static_cast<T>(v);
}

// Shuffles a trivially copyable value word by word, so accumulators that are structs (max and
// sum, value and index, moments) move between lanes like scalars.
template <class V>
__device__ __forceinline__ V shfl_down(V v, int delta) {
  static_assert(sizeof(V) % 4 == 0, "shuffled values are whole 32-bit words");
  constexpr int kWords = sizeof(V) / 4;
  uint32_t w[kWords];
  memcpy(w, &v, sizeof(V));
#pragma unroll
  for (int i = 0; i < kWords; ++i) w[i] = __shfl_down_sync(0xffffffffu, w[i], delta);
  memcpy(&v, w, sizeof(V));
  return v;
}

// Calls f(T{}) with the device element type of `dtype`: float types only, or integers too, or
// float types and the 8-bit integers (max pooling of quantized tensors).
struct FloatTypes {};
struct NumericTypes {};
struct FloatAndByteTypes {};
template <class Types, class F>
cudaError_t dispatch_dtype(DataType dtype, F&& f) {
  switch (dtype) {
    case DataType::kFloat32: return f(float{});
    case DataType::kFloat16: return f(__half{});
    case DataType::kBFloat16: return f(__nv_bfloat16{});
    case DataType::kFloat64: return f(double{});
    default: break;
  }
  if constexpr (std::is_same_v<Types, NumericTypes>) {
    if (dtype == DataType::kInt32) return f(int32_t{});
    if (dtype == DataType::kInt64) return f(int64_t{});
  }
  if constexpr (std::is_same_v<Types, FloatAndByteTypes>) {
    if (dtype == DataType::kInt8) return f(int8_t{});
    if (dtype == DataType::kUInt8) return f(uint8_t{});
  }
  return cudaErrorInvalidValue;
}

inline uint32_t ceil_div(uint32_t a, uint32_t b) { return (a + b - 1) / b; }

}  // namespace kiln::cuda::reduce
