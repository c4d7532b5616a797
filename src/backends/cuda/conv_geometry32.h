// A 2-D convolution's sizes in 32-bit integers, as Kiln's own convolution kernels take them (the
// int8 implicit GEMM, the depthwise kernels): the launch argument they index with, built once
// from the ConvProblem (conv_geometry32() in cudnn/conv_problem.h). Providers check that the
// sizes fit before building it. Free of Kiln's other headers: nvcc compiles the kernels.
#pragma once

#include <cstdint>

namespace kiln::cuda {

struct ConvGeometry32 {
  int32_t batch = 0, in_h = 0, in_w = 0, in_channels = 0;
  // Elements between neighbouring X pixels along W; in_channels for a plain NHWC X. The int8
  // implicit GEMM addresses X pixels with it (channels and weights keep in_channels): the
  // space-to-depth stem's blocked convolution (16 channels a block, kernel width 4) is read as a
  // convolution of kernel width 1 over overlapping 64-channel pixels 16 apart, one reduction step
  // a kernel row instead of four steps three-quarters zeros. The depthwise kernels ignore it.
  int32_t in_pixel_stride = 0;
  int32_t out_h = 0, out_w = 0, out_channels = 0;
  int32_t kernel_h = 1, kernel_w = 1;
  int32_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int32_t pad_h = 0, pad_w = 0;  // leading pads: the output size accounts for the trailing ones
};

}  // namespace kiln::cuda
