// MaxPool and AveragePool over 1 to 3 spatial axes, in NCHW or channels-last layout. One thread
// computes one output position of V channels: V = 1 in NCHW (neighbouring threads take
// neighbouring positions); in channels-last, V channels are loaded as one 16-byte vector when
// C and the pointers allow it (neighbouring threads take neighbouring channel vectors).
#include <cmath>
#include <limits>

#include "backends/cuda/kernels/reduce/device_math.cuh"

namespace kiln::cuda::reduce {

namespace {

// The taps of one axis's window at one output position: [begin, end) land inside the input,
// `padded` inside [-pad_begin, input + pad_end) (AveragePool's count_include_pad divisor).
struct AxisTaps {
  int begin, end, padded, first;  // first: the input index of tap 0
};

__device__ __forceinline__ int ceil_div_pos(int a, int b) { return (a + b - 1) / b; }

__device__ __forceinline__ AxisTaps axis_taps(const PoolWindow& w, int axis, int o) {
  const int k = static_cast<int>(w.kernel[axis]), dil = static_cast<int>(w.dilation[axis]);
  const int input = static_cast<int>(w.input[axis]), pad_end = static_cast<int>(w.pad_end[axis]);
  const int start = o * static_cast<int>(w.stride[axis]) - static_cast<int>(w.pad_begin[axis]);
  AxisTaps t;
  t.first = start;
  t.begin = start >= 0 ? 0 : min(k, ceil_div_pos(-start, dil));
  t.end = start >= input ? 0 : min(k, ceil_div_pos(input - start, dil));
  t.end = max(t.end, t.begin);
  t.padded = start >= input + pad_end ? 0 : min(k, ceil_div_pos(input + pad_end - start, dil));
  return t;
}

template <class T, int V>
struct alignas(sizeof(T) * V) Vec {
  T v[V];
};

template <class T, int V, bool kMax, bool kChannelsLast>
__global__ void pool_kernel(PoolWindow w, const T* __restrict__ x, T* __restrict__ y, uint32_t outputs) {
  using A = AccOf<T>;
  const uint32_t vectors = kChannelsLast ? w.channels / V : 1;
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < outputs; i += gridDim.x * blockDim.x) {
    // Output coordinates: [plane, od, oh, ow] in NCHW, [n, od, oh, ow, channel vector] in NHWC.
    uint32_t rest = i;
    const uint32_t cv = kChannelsLast ? rest % vectors : 0;
    if (kChannelsLast) rest /= vectors;
    const int ow = static_cast<int>(rest % w.output[2]);
    rest /= w.output[2];
    const int oh = static_cast<int>(rest % w.output[1]);
    rest /= w.output[1];
    const int od = static_cast<int>(rest % w.output[0]);
    const uint32_t outer = rest / w.output[0];  // plane (n * C + c) in NCHW, n in NHWC
    const AxisTaps td = axis_taps(w, 0, od), th = axis_taps(w, 1, oh), tw = axis_taps(w, 2, ow);

    A acc[V];
    bool seen = false;
#pragma unroll
    for (int j = 0; j < V; ++j) acc[j] = kMax ? -std::numeric_limits<A>::infinity() : A(0);
    const uint32_t in_plane = w.input[0] * w.input[1] * w.input[2];
    const uint32_t step = kChannelsLast ? w.channels : 1;
    const T* plane = x + static_cast<size_t>(outer) * in_plane * step + cv * V;
    for (int kd = td.begin; kd < td.end; ++kd) {
      const int id = td.first + kd * static_cast<int>(w.dilation[0]);
      for (int kh = th.begin; kh < th.end; ++kh) {
        const int ih = th.first + kh * static_cast<int>(w.dilation[1]);
        const uint32_t row = (static_cast<uint32_t>(id) * w.input[1] + static_cast<uint32_t>(ih)) * w.input[2];
        for (int kw = tw.begin; kw < tw.end; ++kw) {
          const uint32_t at = row + static_cast<uint32_t>(tw.first + kw * static_cast<int>(w.dilation[2]));
          const Vec<T, V> v = *reinterpret_cast<const Vec<T, V>*>(plane + at * step);
#pragma unroll
          for (int j = 0; j < V; ++j) {
            const A a = load_as<A>(v.v[j]);
            if constexpr (kMax) acc[j] = !seen || a > acc[j] ? a : acc[j];
            else acc[j] += a;
          }
          seen = true;
        }
      }
    }
    if constexpr (!kMax) {
      const int taps = w.count_include_pad ? td.padded * th.padded * tw.padded
                                           : (td.end - td.begin) * (th.end - th.begin) * (tw.end - tw.begin);
#pragma unroll
      for (int j = 0; j < V; ++j) acc[j] /= static_cast<A>(taps);
    }
    Vec<T, V> out;
#pragma unroll
    for (int j = 0; j < V; ++j) out.v[j] = store_as<T>(acc[j]);
    *reinterpret_cast<Vec<T, V>*>(y + static_cast<size_t>(i) * V) = out;
  }
}

template <class T, int V, bool kChannelsLast>
cudaError_t launch_pool_as(const PoolWindow& w, const void* x, void* y, cudaStream_t stream) {
  const uint32_t positions = w.batch * w.output[0] * w.output[1] * w.output[2];
  const uint32_t outputs = kChannelsLast ? positions * (w.channels / V) : positions * w.channels;
  if (outputs == 0) return cudaSuccess;
  const uint32_t block = 256;
  const uint32_t grid = ceil_div(outputs, block) < 65536 ? ceil_div(outputs, block) : 65536;
  const T* in = static_cast<const T*>(x);
  T* out = static_cast<T*>(y);
  if (w.kind == PoolWindow::Kind::kMax) pool_kernel<T, V, true, kChannelsLast><<<grid, block, 0, stream>>>(w, in, out, outputs);
  else pool_kernel<T, V, false, kChannelsLast><<<grid, block, 0, stream>>>(w, in, out, outputs);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_pool(DataType dtype, const PoolWindow& w, const void* x, void* y, cudaStream_t stream) {
  // The provider lets int8/uint8 through for max pooling only (of quantized tensors).
  return dispatch_dtype<FloatAndByteTypes>(dtype, [&](auto tag) {
    using T = decltype(tag);
    if (!w.channels_last) return launch_pool_as<T, 1, false>(w, x, y, stream);
    constexpr int kVector = 16 / sizeof(T);
    const bool aligned = (reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(y)) % 16 == 0;
    if (aligned && w.channels % kVector == 0) return launch_pool_as<T, kVector, true>(w, x, y, stream);
    return launch_pool_as<T, 1, true>(w, x, y, stream);
  });
}

}  // namespace kiln::cuda::reduce
