// The quantized epilogue (quantized_epilogue.h) of one output element, on the device: the one
// definition that Kiln's epilogue kernel, its direct convolution and its implicit-GEMM
// convolution (kernels/igemm) all call, so their outputs agree bit for bit. Included from .cu
// files only.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "backends/cuda/cudnn/activation_math.cuh"
#include "backends/cuda/cudnn/quantized_epilogue.h"

namespace kiln::cuda::device {

// Element i of a tensor of type t as float: the types the layers' accumulators, residuals hold.
__device__ __forceinline__ float load_as_float(const void* p, DataType t, int64_t i) {
  switch (t) {
    case DataType::kInt8: return static_cast<float>(static_cast<const int8_t*>(p)[i]);
    case DataType::kInt32: return static_cast<float>(static_cast<const int32_t*>(p)[i]);
    case DataType::kFloat16: return to_float(static_cast<const __half*>(p)[i]);
    case DataType::kBFloat16: return to_float(static_cast<const __nv_bfloat16*>(p)[i]);
    default: return static_cast<const float*>(p)[i];
  }
}

// act(acc * channel_scale[k] + bias[k] + residual[i]) for element i of channel k, each operation
// rounded to nearest in the reference kernel's order.
__device__ __forceinline__ float quantized_epilogue_value(const QuantizedEpilogue& e, float acc, int64_t i,
                                                          int64_t k) {
  float v = __fmul_rn(acc, e.channel_scale[k]);
  if (e.bias != nullptr) v = __fadd_rn(v, e.bias[k]);
  if (e.residual != nullptr) {
    const float z = load_as_float(e.residual, e.residual_dtype, i);
    v = __fadd_rn(v, e.residual_dtype == DataType::kInt8 ? __fmul_rn(z, e.residual_scale) : z);
  }
  return apply_activation(v, e.activation);
}

// QuantizeLinear with zero point 0: round half to even, saturate; NaN gives 0. The conversion
// does all three (cvt.rni.s32.f32 rounds to nearest even, saturates to int32 and maps NaN to 0),
// then an integer clamp: fewer instructions than rounding, testing and clamping in float, which
// matters in the implicit GEMM's epilogue.
__device__ __forceinline__ int8_t quantize_int8(float v, float scale) {
  const int q = __float2int_rn(__fdiv_rn(v, scale));
  return static_cast<int8_t>(max(-128, min(127, q)));
}

// y[i] = v in the output's type.
__device__ __forceinline__ void store_quantized_output(const QuantizedEpilogue& e, float v, int64_t i, void* y) {
  switch (e.output_dtype) {
    case DataType::kInt8: static_cast<int8_t*>(y)[i] = quantize_int8(v, e.output_scale); break;
    case DataType::kFloat16: static_cast<__half*>(y)[i] = from_float<__half>(v); break;
    case DataType::kBFloat16: static_cast<__nv_bfloat16*>(y)[i] = from_float<__nv_bfloat16>(v); break;
    default: static_cast<float*>(y)[i] = v; break;
  }
}

// The epilogue of accumulator `acc` of element i (channel i % channels), written to y.
__device__ __forceinline__ void finish_quantized_element(const QuantizedEpilogue& e, float acc, int64_t i, void* y) {
  store_quantized_output(e, quantized_epilogue_value(e, acc, i, i % e.channels), i, y);
}

}  // namespace kiln::cuda::device
