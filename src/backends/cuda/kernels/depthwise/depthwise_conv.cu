#include <cstdint>

#include "backends/cuda/cudnn/activation_math.cuh"
#include "backends/cuda/kernels/depthwise/depthwise_conv.h"

namespace kiln::cuda {

namespace {

using device::apply_activation;
using device::from_float;
using device::to_float;

constexpr int kVectorBytes = 16;
constexpr int kThreads = 256;

// V consecutive channels, loaded and stored as one access.
template <class T, int V>
struct alignas(sizeof(T) * V) Channels {
  T v[V];
};

template <class T, int V>
__device__ __forceinline__ Channels<T, V> load(const T* p) {
  return *reinterpret_cast<const Channels<T, V>*>(p);
}

// One thread: V channels of P output pixels along W. Consecutive threads take consecutive channel
// vectors of the same pixels, so a warp's loads and stores are contiguous.
template <class T, int V, int P>
__global__ void __launch_bounds__(kThreads)
    depthwise_conv_kernel(DepthwiseConvArgs a, const T* __restrict__ x, const T* __restrict__ w,
                          const T* __restrict__ bias, const T* __restrict__ residual, T* __restrict__ y) {
  const int32_t vectors = a.channels / V;
  const int32_t tiles_w = (a.out_w + P - 1) / P;
  const uint32_t total = static_cast<uint32_t>(a.batch) * a.out_h * tiles_w * vectors;
  uint32_t t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= total) return;
  const int32_t c0 = static_cast<int32_t>(t % vectors) * V;
  t /= vectors;
  const int32_t ow0 = static_cast<int32_t>(t % tiles_w) * P;
  t /= tiles_w;
  const int32_t oh = static_cast<int32_t>(t % a.out_h);
  const int32_t n = static_cast<int32_t>(t / a.out_h);

  float acc[P][V] = {};
  for (int32_t r = 0; r < a.kernel_h; ++r) {
    const int32_t ih = oh * a.stride_h - a.pad_h + r * a.dilation_h;
    if (ih < 0 || ih >= a.in_h) continue;
    const T* row = x + (static_cast<int64_t>(n) * a.in_h + ih) * a.in_w * a.channels + c0;
    for (int32_t s = 0; s < a.kernel_w; ++s) {
      const Channels<T, V> wv = load<T, V>(w + (r * a.kernel_w + s) * a.channels + c0);
#pragma unroll
      for (int p = 0; p < P; ++p) {
        const int32_t iw = (ow0 + p) * a.stride_w - a.pad_w + s * a.dilation_w;
        if (ow0 + p >= a.out_w || iw < 0 || iw >= a.in_w) continue;
        const Channels<T, V> xv = load<T, V>(row + static_cast<int64_t>(iw) * a.channels);
#pragma unroll
        for (int v = 0; v < V; ++v) acc[p][v] = fmaf(to_float(xv.v[v]), to_float(wv.v[v]), acc[p][v]);
      }
    }
  }

  Channels<T, V> bv{};
  if (bias != nullptr) bv = load<T, V>(bias + c0);
#pragma unroll
  for (int p = 0; p < P; ++p) {
    if (ow0 + p >= a.out_w) break;
    const int64_t o = ((static_cast<int64_t>(n) * a.out_h + oh) * a.out_w + ow0 + p) * a.channels + c0;
    Channels<T, V> zv{};
    if (residual != nullptr) zv = load<T, V>(residual + o);
    Channels<T, V> out;
#pragma unroll
    for (int v = 0; v < V; ++v) {
      float value = acc[p][v];
      if (bias != nullptr) value += to_float(bv.v[v]);
      if (residual != nullptr) value += to_float(zv.v[v]);
      out.v[v] = from_float<T>(apply_activation(value, a.activation));
    }
    *reinterpret_cast<Channels<T, V>*>(y + o) = out;
  }
}

template <class T, int V, int P>
cudaError_t launch_with(const DepthwiseConvArgs& a, cudaStream_t stream) {
  const int64_t tiles_w = (a.out_w + P - 1) / P;
  const int64_t total = static_cast<int64_t>(a.batch) * a.out_h * tiles_w * (a.channels / V);
  const int64_t blocks = (total + kThreads - 1) / kThreads;
  depthwise_conv_kernel<T, V, P><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(
      a, static_cast<const T*>(a.x), static_cast<const T*>(a.weights), static_cast<const T*>(a.bias),
      static_cast<const T*>(a.residual), static_cast<T*>(a.y));
  return cudaGetLastError();
}

bool vector_aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % kVectorBytes == 0; }

template <class T, int P>
cudaError_t launch_pixels(const DepthwiseConvArgs& a, cudaStream_t stream) {
  constexpr int kVector = kVectorBytes / sizeof(T);
  const bool vectorized = a.channels % kVector == 0 && vector_aligned(a.x) && vector_aligned(a.weights) &&
                          vector_aligned(a.bias) && vector_aligned(a.residual) && vector_aligned(a.y);
  return vectorized ? launch_with<T, kVector, P>(a, stream) : launch_with<T, 1, P>(a, stream);
}

template <class T>
cudaError_t launch_type(const DepthwiseConvArgs& a, cudaStream_t stream) {
  switch (a.pixels_per_thread) {
    case 1: return launch_pixels<T, 1>(a, stream);
    case 2: return launch_pixels<T, 2>(a, stream);
    case 4: return launch_pixels<T, 4>(a, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace

cudaError_t launch_depthwise_conv(const DepthwiseConvArgs& args, cudaStream_t stream) {
  switch (args.dtype) {
    case DataType::kFloat32: return launch_type<float>(args, stream);
    case DataType::kFloat16: return launch_type<__half>(args, stream);
    case DataType::kBFloat16: return launch_type<__nv_bfloat16>(args, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace kiln::cuda
