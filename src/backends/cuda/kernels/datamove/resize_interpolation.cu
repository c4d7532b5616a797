#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "backends/cuda/cudnn/activation_math.cuh"
#include "backends/cuda/kernels/datamove/launch.h"
#include "backends/cuda/kernels/datamove/launch_config.cuh"

namespace kiln::cuda::datamove {

namespace {

using device::from_float;
using device::to_float;

template <class T>
__global__ void __launch_bounds__(kThreads)
    resize_interpolation_kernel(ResizeInterpolation r, const T* __restrict__ src, T* __restrict__ dst) {
  const int64_t count = r.planes * r.out_h * r.out_w;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * kThreads;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < count; i += stride) {
    const int64_t x = i % r.out_w, y = (i / r.out_w) % r.out_h, plane = i / (r.out_w * r.out_h);
    const ResizeTaps& ty = r.rows[y];
    const ResizeTaps& tx = r.cols[x];
    float v = r.extrapolation;
    if (ty.count > 0 && tx.count > 0) {
      v = 0.f;
      for (int a = 0; a < ty.count; ++a) {
        const T* row = src + (plane * r.in_h + ty.index[a]) * r.in_w;
        float along_row = 0.f;
        for (int b = 0; b < tx.count; ++b) along_row += tx.weight[b] * to_float(row[tx.index[b]]);
        v += ty.weight[a] * along_row;
      }
    }
    dst[i] = from_float<T>(v);
  }
}

template <class T>
cudaError_t launch_typed(const ResizeInterpolation& r, const void* src, void* dst, cudaStream_t stream) {
  resize_interpolation_kernel<T><<<grid_blocks(r.planes * r.out_h * r.out_w), kThreads, 0, stream>>>(
      r, static_cast<const T*>(src), static_cast<T*>(dst));
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_resize_interpolation(const ResizeInterpolation& r, const void* src, void* dst, FloatType type,
                                        cudaStream_t stream) {
  if (r.planes * r.out_h * r.out_w <= 0) return cudaSuccess;
  switch (type) {
    case FloatType::kFloat32: return launch_typed<float>(r, src, dst, stream);
    case FloatType::kFloat16: return launch_typed<__half>(r, src, dst, stream);
    case FloatType::kBFloat16: return launch_typed<__nv_bfloat16>(r, src, dst, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace kiln::cuda::datamove
