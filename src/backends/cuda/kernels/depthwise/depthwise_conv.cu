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

// A thread's tile: V channels from c0 of RH output rows from oh0 and P pixels from ow0, image n.
// Consecutive threads take consecutive channel vectors of the same pixels, so a warp's loads and
// stores are contiguous.
struct Tile {
  int32_t n, oh0, ow0, c0;
};

// This thread's tile, or false past the last one.
template <int V, int P, int RH>
__device__ __forceinline__ bool thread_tile(const DepthwiseConvArgs& a, Tile& tile) {
  const int32_t vectors = a.in_channels / V;
  const int32_t tiles_w = (a.out_w + P - 1) / P;
  const int32_t tiles_h = (a.out_h + RH - 1) / RH;
  const uint32_t total = static_cast<uint32_t>(a.batch) * tiles_h * tiles_w * vectors;
  uint32_t t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= total) return false;
  tile.c0 = static_cast<int32_t>(t % vectors) * V;
  t /= vectors;
  tile.ow0 = static_cast<int32_t>(t % tiles_w) * P;
  t /= tiles_w;
  tile.oh0 = static_cast<int32_t>(t % tiles_h) * RH;
  tile.n = static_cast<int32_t>(t / tiles_h);
  return true;
}

// y = act(acc + bias + z) for a thread's RH rows of P pixels, each one vector store; pixels past
// the output's edge are skipped.
template <class T, int V, int RH, int P>
__device__ __forceinline__ void store_outputs(const DepthwiseConvArgs& a, const float (*acc)[P][V], int32_t n,
                                              int32_t oh0, int32_t ow0, int32_t c0, const T* __restrict__ bias,
                                              const T* __restrict__ residual, T* __restrict__ y) {
  Channels<T, V> bv{};
  if (bias != nullptr) bv = load<T, V>(bias + c0);
#pragma unroll
  for (int q = 0; q < RH; ++q) {
    if (oh0 + q >= a.out_h) break;
#pragma unroll
    for (int p = 0; p < P; ++p) {
      if (ow0 + p >= a.out_w) break;
      const int64_t o = ((static_cast<int64_t>(n) * a.out_h + oh0 + q) * a.out_w + ow0 + p) * a.in_channels + c0;
      Channels<T, V> zv{};
      if (residual != nullptr) zv = load<T, V>(residual + o);
      Channels<T, V> out;
#pragma unroll
      for (int v = 0; v < V; ++v) {
        float value = acc[q][p][v];
        if (bias != nullptr) value += to_float(bv.v[v]);
        if (residual != nullptr) value += to_float(zv.v[v]);
        out.v[v] = from_float<T>(apply_activation(value, a.activation));
      }
      *reinterpret_cast<Channels<T, V>*>(y + o) = out;
    }
  }
}

// Any window: one thread, V channels of P output pixels along W of one row.
template <class T, int V, int P>
__global__ void __launch_bounds__(kThreads)
    depthwise_conv_kernel(DepthwiseConvArgs a, const T* __restrict__ x, const T* __restrict__ w,
                          const T* __restrict__ bias, const T* __restrict__ residual, T* __restrict__ y) {
  Tile tile;
  if (!thread_tile<V, P, 1>(a, tile)) return;
  const int32_t n = tile.n, oh = tile.oh0, ow0 = tile.ow0, c0 = tile.c0;

  float acc[1][P][V] = {};
  for (int32_t r = 0; r < a.kernel_h; ++r) {
    const int32_t ih = oh * a.stride_h - a.pad_h + r * a.dilation_h;
    if (ih < 0 || ih >= a.in_h) continue;
    const T* row = x + (static_cast<int64_t>(n) * a.in_h + ih) * a.in_w * a.in_channels + c0;
    for (int32_t s = 0; s < a.kernel_w; ++s) {
      const Channels<T, V> wv = load<T, V>(w + (r * a.kernel_w + s) * a.in_channels + c0);
#pragma unroll
      for (int p = 0; p < P; ++p) {
        const int32_t iw = (ow0 + p) * a.stride_w - a.pad_w + s * a.dilation_w;
        if (ow0 + p >= a.out_w || iw < 0 || iw >= a.in_w) continue;
        const Channels<T, V> xv = load<T, V>(row + static_cast<int64_t>(iw) * a.in_channels);
#pragma unroll
        for (int v = 0; v < V; ++v) acc[0][p][v] = fmaf(to_float(xv.v[v]), to_float(wv.v[v]), acc[0][p][v]);
      }
    }
  }

  store_outputs<T, V, 1, P>(a, acc, n, oh, ow0, c0, bias, residual, y);
}

// The 3x3 window at stride S: one thread, V channels of RH rows x P pixels. Each input row the
// thread's window covers is loaded once (its (P-1)*S+3 columns) and feeds every output row and
// pixel that reads it; the 9 taps stay in registers.
template <class T, int V, int P, int RH, int S>
__global__ void __launch_bounds__(kThreads)
    depthwise_conv3x3_kernel(DepthwiseConvArgs a, const T* __restrict__ x, const T* __restrict__ w,
                             const T* __restrict__ bias, const T* __restrict__ residual, T* __restrict__ y) {
  constexpr int kInW = (P - 1) * S + 3;
  constexpr int kInH = (RH - 1) * S + 3;
  Tile tile;
  if (!thread_tile<V, P, RH>(a, tile)) return;
  const int32_t n = tile.n, oh0 = tile.oh0, ow0 = tile.ow0, c0 = tile.c0;

  float taps[9][V];
#pragma unroll
  for (int k = 0; k < 9; ++k) {
    const Channels<T, V> wv = load<T, V>(w + k * a.in_channels + c0);
#pragma unroll
    for (int v = 0; v < V; ++v) taps[k][v] = to_float(wv.v[v]);
  }
  float acc[RH][P][V] = {};
  const int32_t iw0 = ow0 * S - a.pad_w;
#pragma unroll
  for (int ir = 0; ir < kInH; ++ir) {
    const int32_t ih = oh0 * S - a.pad_h + ir;
    if (ih < 0 || ih >= a.in_h) continue;
    const T* row = x + (static_cast<int64_t>(n) * a.in_h + ih) * a.in_w * a.in_channels + c0;
    float in[kInW][V];
#pragma unroll
    for (int j = 0; j < kInW; ++j) {
      const int32_t iw = iw0 + j;
      Channels<T, V> xv{};
      if (iw >= 0 && iw < a.in_w) xv = load<T, V>(row + static_cast<int64_t>(iw) * a.in_channels);
#pragma unroll
      for (int v = 0; v < V; ++v) in[j][v] = to_float(xv.v[v]);
    }
    // Output row q reads input row ir through tap row r = ir - q*S (compile-time after unrolling).
#pragma unroll
    for (int q = 0; q < RH; ++q) {
      const int r = ir - q * S;
      if (r < 0 || r > 2) continue;
#pragma unroll
      for (int p = 0; p < P; ++p)
#pragma unroll
        for (int s = 0; s < 3; ++s)
#pragma unroll
          for (int v = 0; v < V; ++v) acc[q][p][v] = fmaf(in[p * S + s][v], taps[r * 3 + s][v], acc[q][p][v]);
    }
  }
  store_outputs<T, V, RH, P>(a, acc, n, oh0, ow0, c0, bias, residual, y);
}

template <class T, int V, int P>
cudaError_t launch_general(const DepthwiseConvArgs& a, cudaStream_t stream) {
  const int64_t tiles_w = (a.out_w + P - 1) / P;
  const int64_t total = static_cast<int64_t>(a.batch) * a.out_h * tiles_w * (a.in_channels / V);
  const int64_t blocks = (total + kThreads - 1) / kThreads;
  depthwise_conv_kernel<T, V, P><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(
      a, static_cast<const T*>(a.x), static_cast<const T*>(a.weights), static_cast<const T*>(a.bias),
      static_cast<const T*>(a.residual), static_cast<T*>(a.y));
  return cudaGetLastError();
}

template <class T, int V, int P, int RH>
cudaError_t launch_3x3(const DepthwiseConvArgs& a, cudaStream_t stream) {
  const int64_t tiles_w = (a.out_w + P - 1) / P;
  const int64_t tiles_h = (a.out_h + RH - 1) / RH;
  const int64_t total = static_cast<int64_t>(a.batch) * tiles_h * tiles_w * (a.in_channels / V);
  const auto blocks = static_cast<unsigned>((total + kThreads - 1) / kThreads);
  const auto* x = static_cast<const T*>(a.x);
  const auto* w = static_cast<const T*>(a.weights);
  const auto* bias = static_cast<const T*>(a.bias);
  const auto* residual = static_cast<const T*>(a.residual);
  auto* y = static_cast<T*>(a.y);
  if (a.stride_h == 1)
    depthwise_conv3x3_kernel<T, V, P, RH, 1><<<blocks, kThreads, 0, stream>>>(a, x, w, bias, residual, y);
  else
    depthwise_conv3x3_kernel<T, V, P, RH, 2><<<blocks, kThreads, 0, stream>>>(a, x, w, bias, residual, y);
  return cudaGetLastError();
}

template <class T, int V>
cudaError_t launch_tiling(const DepthwiseConvArgs& a, cudaStream_t stream) {
  const DepthwiseTiling& t = a.tiling;
  if (!t.fixed_3x3) {
    if (t.rows != 1) return cudaErrorInvalidValue;
    switch (t.pixels) {
      case 1: return launch_general<T, V, 1>(a, stream);
      case 2: return launch_general<T, V, 2>(a, stream);
      case 4: return launch_general<T, V, 4>(a, stream);
      default: return cudaErrorInvalidValue;
    }
  }
  const bool window_3x3 = a.kernel_h == 3 && a.kernel_w == 3 && a.dilation_h == 1 && a.dilation_w == 1 &&
                          a.stride_h == a.stride_w && (a.stride_h == 1 || a.stride_h == 2);
  if (!window_3x3) return cudaErrorInvalidValue;
  if (t.pixels == 2 && t.rows == 1) return launch_3x3<T, V, 2, 1>(a, stream);
  if (t.pixels == 4 && t.rows == 1) return launch_3x3<T, V, 4, 1>(a, stream);
  if (t.pixels == 2 && t.rows == 2) return launch_3x3<T, V, 2, 2>(a, stream);
  if (t.pixels == 4 && t.rows == 2) return launch_3x3<T, V, 4, 2>(a, stream);
  return cudaErrorInvalidValue;
}

bool vector_aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % kVectorBytes == 0; }

template <class T>
cudaError_t launch_type(const DepthwiseConvArgs& a, cudaStream_t stream) {
  constexpr int kVector = kVectorBytes / sizeof(T);
  const bool vectorized = a.in_channels % kVector == 0 && vector_aligned(a.x) && vector_aligned(a.weights) &&
                          vector_aligned(a.bias) && vector_aligned(a.residual) && vector_aligned(a.y);
  return vectorized ? launch_tiling<T, kVector>(a, stream) : launch_tiling<T, 1>(a, stream);
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
