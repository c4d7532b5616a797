#include <algorithm>

#include "backends/cuda/cudnn/quantized_epilogue.h"
#include "backends/cuda/cudnn/quantized_epilogue_element.cuh"

namespace kiln::cuda {

namespace {

constexpr int kThreads = 256;
// A grid-stride loop covers any size with at most this many blocks.
constexpr int64_t kMaxBlocks = 65535;

unsigned blocks_for(int64_t n) {
  return static_cast<unsigned>(std::clamp<int64_t>((n + kThreads - 1) / kThreads, 1, kMaxBlocks));
}

__global__ void quantized_epilogue_kernel(QuantizedEpilogue e, const void* acc, DataType acc_dtype, int64_t numel,
                                          void* y) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < numel; i += step)
    device::finish_quantized_element(e, device::load_as_float(acc, acc_dtype, i), i, y);
}

// One thread per output element [n, oh, ow, k]: the exact int32 sum over its window and group.
__global__ void direct_quantized_conv_kernel(DirectQuantizedConv c, const int8_t* __restrict__ x,
                                             const int8_t* __restrict__ w, QuantizedEpilogue e, void* y) {
  const int64_t numel = c.batch * c.out_h * c.out_w * c.out_channels;
  const int64_t group_in = c.in_channels / c.group, group_out = c.out_channels / c.group;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < numel; i += step) {
    const int64_t k = i % c.out_channels;
    int64_t rest = i / c.out_channels;
    const int64_t ow = rest % c.out_w;
    rest /= c.out_w;
    const int64_t oh = rest % c.out_h;
    const int64_t n = rest / c.out_h;
    const int64_t first_channel = (k / group_out) * group_in;
    const int8_t* wk = w + k * c.w_out_stride;
    int32_t acc = 0;
    for (int64_t r = 0; r < c.kernel_h; ++r) {
      const int64_t ih = oh * c.stride[0] - c.pad_begin[0] + r * c.dilation[0];
      if (ih < 0 || ih >= c.in_h) continue;
      for (int64_t s = 0; s < c.kernel_w; ++s) {
        const int64_t iw = ow * c.stride[1] - c.pad_begin[1] + s * c.dilation[1];
        if (iw < 0 || iw >= c.in_w) continue;
        const int8_t* xp = x + ((n * c.in_h + ih) * c.in_w + iw) * c.in_channels + first_channel;
        const int8_t* wp = wk + (r * c.kernel_w + s) * c.w_tap_stride;
        for (int64_t ch = 0; ch < group_in; ++ch)
          acc += static_cast<int32_t>(xp[ch]) * static_cast<int32_t>(wp[ch * c.w_in_stride]);
      }
    }
    device::finish_quantized_element(e, static_cast<float>(acc), i, y);
  }
}

}  // namespace

cudaError_t launch_quantized_epilogue(const QuantizedEpilogue& epilogue, const void* acc, DataType acc_dtype,
                                      int64_t numel, void* y, cudaStream_t stream) {
  if (numel == 0) return cudaSuccess;
  if (acc_dtype != DataType::kInt32 && acc_dtype != DataType::kFloat32) return cudaErrorInvalidValue;
  quantized_epilogue_kernel<<<blocks_for(numel), kThreads, 0, stream>>>(epilogue, acc, acc_dtype, numel, y);
  return cudaGetLastError();
}

cudaError_t launch_direct_quantized_conv(const DirectQuantizedConv& conv, const int8_t* x, const int8_t* w,
                                         const QuantizedEpilogue& epilogue, void* y, cudaStream_t stream) {
  const int64_t numel = conv.batch * conv.out_h * conv.out_w * conv.out_channels;
  if (numel == 0) return cudaSuccess;
  direct_quantized_conv_kernel<<<blocks_for(numel), kThreads, 0, stream>>>(conv, x, w, epilogue, y);
  return cudaGetLastError();
}

}  // namespace kiln::cuda
