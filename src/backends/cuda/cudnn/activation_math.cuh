// The fused layers' activations on the device, with the exact ONNX semantics of their reference
// kernels, and float conversions of the data types they read and write. Shared by the epilogue
// kernels (conv_epilogue.cu, quantized_epilogue.cu); included from .cu files only.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "backends/cuda/cudnn/conv_epilogue.h"

namespace kiln::cuda::device {

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

template <class T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ float from_float<float>(float v) { return v; }
template <>
__device__ __forceinline__ __half from_float<__half>(float v) { return __float2half_rn(v); }
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

__device__ __forceinline__ float sigmoid(float x) {
  // Split by sign so the exponential never overflows.
  if (x >= 0.f) return 1.f / (1.f + expf(-x));
  const float e = expf(x);
  return e / (1.f + e);
}

__device__ __forceinline__ float softplus(float x) { return x > 0.f ? x + log1pf(expf(-x)) : log1pf(expf(x)); }

__device__ __forceinline__ float activate(float x, const ActivationSpec& a) {
  switch (a.kind) {
    case ActivationKind::kNone: return x;
    case ActivationKind::kRelu: return x < 0.f ? 0.f : x;
    case ActivationKind::kClip: {
      const float v = x < a.alpha ? a.alpha : x;
      return a.beta < v ? a.beta : v;
    }
    case ActivationKind::kLeakyRelu: return x < 0.f ? a.alpha * x : x;
    case ActivationKind::kElu: return x < 0.f ? a.alpha * expm1f(x) : x;
    case ActivationKind::kSigmoid: return sigmoid(x);
    case ActivationKind::kTanh: return tanhf(x);
    case ActivationKind::kHardSigmoid: return fminf(fmaxf(a.alpha * x + a.beta, 0.f), 1.f);
    case ActivationKind::kHardSwish: return x * fminf(fmaxf(x / 6.f + 0.5f, 0.f), 1.f);
    case ActivationKind::kSoftplus: return softplus(x);
    case ActivationKind::kMish: return x * tanhf(softplus(x));
    case ActivationKind::kGelu: return 0.5f * x * (1.f + erff(x * 0.7071067811865476f));
  }
  return x;
}

// act(x), or x * act(x) when the activation is gated.
__device__ __forceinline__ float apply_activation(float x, const ActivationSpec& a) {
  const float y = activate(x, a);
  return a.gated ? x * y : y;
}

}  // namespace kiln::cuda::device
