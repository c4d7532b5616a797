// Kiln's own epilogue for the cuDNN convolution tactics that run only the convolution in cuDNN
// (when cuDNN has no engine, or no pointwise mode, for the whole fused layer):
//   y = act(y + bias[channel] + z)     (or y * act(y) when gated), in place on the output,
// computed in float. An element's channel is (index / channel_stride) % channels: the output is
// channels-last (channel_stride 1) or NCHW (channel_stride H*W). Kept free of Kiln's heavier
// headers: nvcc compiles the implementation.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kiln/data_type.h"

namespace kiln::cuda {

// The activations a fused convolution may end with (ir/ops/fused_ops.h), with the exact ONNX
// semantics of their reference kernels.
enum class ActivationKind : int32_t {
  kNone,
  kRelu,
  kClip,         // min(max(x, alpha), beta)
  kLeakyRelu,    // x < 0 ? alpha * x : x
  kElu,          // x < 0 ? alpha * (e^x - 1) : x
  kSigmoid,
  kTanh,
  kHardSigmoid,  // clamp(alpha * x + beta, 0, 1)
  kHardSwish,    // x * clamp(x / 6 + 1/2, 0, 1)
  kSoftplus,     // log(1 + e^x)
  kMish,         // x * tanh(softplus(x))
  kGelu,         // exact: x / 2 * (1 + erf(x / sqrt(2)))
};

struct ActivationSpec {
  ActivationKind kind = ActivationKind::kNone;
  float alpha = 0.f;
  float beta = 0.f;
  bool gated = false;  // y * act(y)
};

struct ConvEpilogueArgs {
  DataType dtype = DataType::kUndefined;  // of y, bias and residual: float32, float16 or bfloat16
  void* y = nullptr;
  const void* bias = nullptr;      // [channels] or null
  const void* residual = nullptr;  // shaped like y, or null
  int64_t numel = 0;
  int64_t channels = 1;
  ActivationSpec activation;
  // Elements between consecutive channels of one position: 1 channels-last, H*W for NCHW. Last,
  // so that aggregate initializations written before it keep meaning channels-last.
  int64_t channel_stride = 1;
};

cudaError_t launch_conv_epilogue(const ConvEpilogueArgs& args, cudaStream_t stream);

}  // namespace kiln::cuda
