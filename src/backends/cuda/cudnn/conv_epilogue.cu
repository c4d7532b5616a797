#include <algorithm>

#include "backends/cuda/cudnn/activation_math.cuh"

namespace kiln::cuda {

namespace {

using device::apply_activation;
using device::from_float;
using device::to_float;

template <class T>
__global__ void conv_epilogue_kernel(T* y, const T* bias, const T* residual, int64_t numel, int64_t channels,
                                     int64_t channel_stride, ActivationSpec act) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < numel; i += step) {
    float v = to_float(y[i]);
    if (bias != nullptr) v += to_float(bias[(i / channel_stride) % channels]);
    if (residual != nullptr) v += to_float(residual[i]);
    y[i] = from_float<T>(apply_activation(v, act));
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
