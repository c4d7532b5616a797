// The float epilogue of the quantized layers (kiln.QConv, kiln.QMatMul; docs/architecture.md,
// "Quantized layers"), on accumulators whose channel is the innermost axis (a channels-last
// convolution's output, a matmul's rows):
//   v = acc * channel_scale[k] + bias[k] + (int8 Z ? Z * residual_scale : Z)
//   y = int8 output ? saturate(round_half_even(act(v) / output_scale)) : act(v)
// in float with every operation rounded to nearest, in the reference kernel's order. Also Kiln's
// direct quantized convolution, which computes the int32 accumulators itself and runs any shape.
// Kept free of Kiln's heavier headers: nvcc compiles the implementations.
#pragma once

#include <cuda_runtime.h>

#include <array>
#include <cstdint>

#include "backends/cuda/cudnn/conv_epilogue.h"
#include "kiln/data_type.h"

namespace kiln::cuda {

struct QuantizedEpilogue {
  int64_t channels = 1;
  const float* channel_scale = nullptr;  // device [channels]: x_scale * w_scale[k]
  const float* bias = nullptr;           // device [channels], or null
  const void* residual = nullptr;        // device, shaped like y, or null
  DataType residual_dtype = DataType::kUndefined;  // int8 (scaled by residual_scale) or a float type
  float residual_scale = 1.f;
  ActivationSpec activation;
  DataType output_dtype = DataType::kInt8;  // int8 (quantized with output_scale) or a float type
  float output_scale = 1.f;
};

// y[i] = epilogue(acc[i]) for i < numel; acc is int32 or float32 (an FP8 layer's float sums, or
// an exact image of int32 accumulators: cuDNN's float output of an int8 convolution).
cudaError_t launch_quantized_epilogue(const QuantizedEpilogue& epilogue, const void* acc, DataType acc_dtype,
                                      int64_t numel, void* y, cudaStream_t stream);

// A grouped 2-D convolution on channels-last int8 X [N, H, W, C]; weight element (k, r, s, c) (c
// within k's group) is w[k * w_out_stride + (r * kernel_w + s) * w_tap_stride + c * w_in_stride],
// so [K, R, S, C/g] weights and a matmul's [C, K] matrix (a 1x1 convolution over a [1, 1, M, C]
// input) are both direct reads.
struct DirectQuantizedConv {
  int64_t batch = 0, in_h = 0, in_w = 0, in_channels = 0;
  int64_t out_h = 0, out_w = 0, out_channels = 0;
  int64_t kernel_h = 1, kernel_w = 1, group = 1;
  std::array<int64_t, 2> stride{1, 1}, dilation{1, 1}, pad_begin{0, 0};
  int64_t w_out_stride = 0, w_tap_stride = 0, w_in_stride = 1;
};

cudaError_t launch_direct_quantized_conv(const DirectQuantizedConv& conv, const int8_t* x, const int8_t* w,
                                         const QuantizedEpilogue& epilogue, void* y, cudaStream_t stream);

}  // namespace kiln::cuda
