// Kiln's depthwise convolution on the device: channels-last X [N,H,W,C], weights repacked to
// [R,S,C] (every channel's tap r,s side by side, so a thread reads its channels' weights in one
// vector), Y [N,OH,OW,C]; each channel convolved with its own kernel, accumulated in float, the
// fused epilogue y = act(conv + bias[c] + z) applied before the single store. Kept free of Kiln's
// heavier headers: nvcc compiles the implementation.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backends/cuda/cudnn/conv_epilogue.h"
#include "kiln/data_type.h"

namespace kiln::cuda {

// Output pixels (along W) each thread computes: the tactics.
constexpr int kDepthwisePixelsPerThread[] = {1, 2, 4};

struct DepthwiseConvArgs {
  DataType dtype = DataType::kUndefined;  // of every tensor: float32, float16 or bfloat16
  const void* x = nullptr;
  const void* weights = nullptr;   // [R, S, C]
  const void* bias = nullptr;      // [C] or null
  const void* residual = nullptr;  // shaped like y, or null
  void* y = nullptr;
  // Every tensor has fewer than 2^31 elements (the provider checks), so indices are 32-bit.
  int32_t batch = 0, channels = 0, in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int32_t kernel_h = 0, kernel_w = 0;
  int32_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1, pad_h = 0, pad_w = 0;
  ActivationSpec activation;
  int pixels_per_thread = 1;  // one of kDepthwisePixelsPerThread
};

// Reads 16-byte vectors of channels when C allows it and every pointer is 16-byte aligned, else
// one channel at a time.
cudaError_t launch_depthwise_conv(const DepthwiseConvArgs& args, cudaStream_t stream);

}  // namespace kiln::cuda
