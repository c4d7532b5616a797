// Kiln's depthwise convolution on the device: channels-last X [N,H,W,C], weights repacked to
// [R,S,C] (every channel's tap r,s side by side, so a thread reads its channels' weights in one
// vector), Y [N,OH,OW,C]; each channel convolved with its own kernel, accumulated in float, the
// fused epilogue y = act(conv + bias[c] + z) applied before the single store. Kept free of Kiln's
// heavier headers: nvcc compiles the implementation.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backends/cuda/conv_geometry32.h"
#include "backends/cuda/cudnn/conv_epilogue.h"
#include "kiln/data_type.h"

namespace kiln::cuda {

// What one thread computes: `pixels` output pixels along W of `rows` output rows. The general
// kernel takes any kernel size (rows 1); the 3x3 kernel (stride 1 or 2, no dilation) has the
// window's size at compile time, so it holds its 9 taps and each input row's columns in registers
// and reuses them across the thread's pixels and rows instead of reloading them.
struct DepthwiseTiling {
  int pixels = 1;
  int rows = 1;
  bool fixed_3x3 = false;
};
constexpr DepthwiseTiling kDepthwiseGeneralTilings[] = {{1, 1, false}, {2, 1, false}, {4, 1, false}};
constexpr DepthwiseTiling kDepthwise3x3Tilings[] = {{2, 1, true}, {4, 1, true}, {2, 2, true}, {4, 2, true}};

// The geometry's in_channels (equal to out_channels) are the channels.
struct DepthwiseConvArgs : ConvGeometry32 {
  DataType dtype = DataType::kUndefined;  // of every tensor: float32, float16 or bfloat16
  const void* x = nullptr;
  const void* weights = nullptr;   // [R, S, C]
  const void* bias = nullptr;      // [C] or null
  const void* residual = nullptr;  // shaped like y, or null
  void* y = nullptr;
  // Every tensor has fewer than 2^31 elements (the provider checks), so indices are 32-bit.
  ActivationSpec activation;
  DepthwiseTiling tiling;  // one of the lists above; fixed_3x3 needs a 3x3 window, stride 1 or 2
};

// Reads 16-byte vectors of channels when C allows it and every pointer is 16-byte aligned, else
// one channel at a time.
cudaError_t launch_depthwise_conv(const DepthwiseConvArgs& args, cudaStream_t stream);

}  // namespace kiln::cuda
