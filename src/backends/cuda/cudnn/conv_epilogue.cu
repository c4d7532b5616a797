#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>

#include "backends/cuda/cudnn/conv_epilogue.h"

namespace kiln::cuda {

namespace {

__device__ float to_float(float v) { return v; }
__device__ float to_float(__half v) { return __half2float(v); }
__device__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

template <class T>
__device__ T from_float(float v);
template <>
__device__ float from_float<float>(float v) { return v; }
template <>
__device__ __half from_float<__half>(float v) { return __float2half_rn(v); }
template <>
__device__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

__device__ float sigmoid(float x) {
  // Split by sign so the exponential never overflows.
  if (x >= 0.f) return 1.f / (1.f + expf(-x));
  const float e = expf(x);
  return e / (1.f + e);
}

__device__ float softplus(float x) { return x > 0.f ? x + log1pf(expf(-x)) : log1pf(expf(x)); }

__device__ float activate(float x, const ActivationSpec& a) {
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

template <class T>
__global__ void conv_epilogue_kernel(T* y, const T* bias, const T* residual, int64_t numel, int64_t channels,
                                     int64_t channel_stride, ActivationSpec act) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < numel; i += step) {
    float v = to_float(y[i]);
    if (bias != nullptr) v += to_float(bias[(i / channel_stride) % channels]);
    if (residual != nullptr) v += to_float(residual[i]);
    const float a = activate(v, act);
    y[i] = from_float<T>(act.gated ? v * a : a);
  }
}

template <class T>
cudaError_t launch(const ConvEpilogueArgs& args, cudaStream_t stream) {
  constexpr int kThreads = 256;
  // A grid-stride loop: enough blocks to fill the GPU, never more than the grid allows.
  const int64_t blocks = std::clamp<int64_t>((args.numel + kThreads - 1) / kThreads, 1, 65535);
  conv_epilogue_kernel<T><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(
      static_cast<T*>(args.y), static_cast<const T*>(args.bias), static_cast<const T*>(args.residual), args.numel,
      args.channels, args.channel_stride, args.activation);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_conv_epilogue(const ConvEpilogueArgs& args, cudaStream_t stream) {
  if (args.numel == 0) return cudaSuccess;
  switch (args.dtype) {
    case DataType::kFloat32: return launch<float>(args, stream);
    case DataType::kFloat16: return launch<__half>(args, stream);
    case DataType::kBFloat16: return launch<__nv_bfloat16>(args, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace kiln::cuda
