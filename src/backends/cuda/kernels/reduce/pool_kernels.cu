// MaxPool and AveragePool over 1 to 3 spatial axes, in NCHW or channels-last layout. One thread
// computes one output position of V channels: V = 1 in NCHW (neighbouring threads take
// neighbouring positions); in channels-last, V channels are loaded as one 16-byte vector when
// C and the pointers allow it (neighbouring threads take neighbouring channel vectors). The
// channels-last MaxPool of int8, uint8 and float16 has a second kernel that keeps those 16 bytes
// in 32-bit words and takes their lanes' maxima with 16x2 SIMD instructions (__vmaxs2, __hgt2_mask),
// instead of widening every channel to the accumulator type.
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

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

// How max_pool_vector_kernel keeps the maxima of a 16-byte channel vector in 32-bit words, and
// takes them lane by lane with pool_kernel's rule (a tap replaces the maximum when greater).
// Bytes: each byte in the high half of a 16-bit lane of its own (the even bytes of word k in
// word k, the odd ones in word 4 + k), where the native 16x2 SIMD maximum orders them as bytes.
template <class T>
struct ByteLanes {
  static constexpr int kWords = 8;
  __device__ static void split(const uint4& v, uint32_t (&w)[kWords]) {
    const uint32_t words[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      w[k] = __byte_perm(words[k], 0u, 0x2404);      // [0, b0, 0, b2]
      w[4 + k] = __byte_perm(words[k], 0u, 0x3414);  // [0, b1, 0, b3]
    }
  }
  __device__ static uint32_t max(uint32_t acc, uint32_t tap) {
    return std::is_signed_v<T> ? __vmaxs2(acc, tap) : __vmaxu2(acc, tap);
  }
  __device__ static uint4 join(const uint32_t (&w)[kWords]) {
    return make_uint4(__byte_perm(w[0], w[4], 0x7351), __byte_perm(w[1], w[5], 0x7351),
                      __byte_perm(w[2], w[6], 0x7351), __byte_perm(w[3], w[7], 0x7351));
  }
};

// Halves: two per word, compared as halves (a NaN tap or an equal one keeps the maximum).
struct HalfLanes {
  static constexpr int kWords = 4;
  __device__ static void split(const uint4& v, uint32_t (&w)[kWords]) {
    w[0] = v.x;
    w[1] = v.y;
    w[2] = v.z;
    w[3] = v.w;
  }
  __device__ static uint32_t max(uint32_t acc, uint32_t tap) {
    __half2 a, t;
    memcpy(&a, &acc, sizeof a);
    memcpy(&t, &tap, sizeof t);
    const uint32_t greater = __hgt2_mask(t, a);  // per half: all ones where tap > acc
    return (tap & greater) | (acc & ~greater);
  }
  __device__ static uint4 join(const uint32_t (&w)[kWords]) { return make_uint4(w[0], w[1], w[2], w[3]); }
};

template <class T>
using LanesOf = std::conditional_t<std::is_same_v<T, __half>, HalfLanes, ByteLanes<T>>;

// What pool_kernel writes for a window without in-image taps: -inf for halves, 0 for bytes (its
// integer accumulator's "-infinity").
template <class T>
__device__ __forceinline__ uint4 empty_window() {
  const uint32_t w = std::is_same_v<T, __half> ? 0xFC00FC00u : 0u;
  return make_uint4(w, w, w, w);
}

// The channels-last MaxPool of int8, uint8 and float16: one thread takes one output position and
// 16 bytes of its channels, starting from the window's first in-image tap.
template <class T>
__global__ void max_pool_vector_kernel(PoolWindow w, const uint4* __restrict__ x, uint4* __restrict__ y,
                                       uint32_t outputs) {
  const uint32_t vectors = w.channels / (16 / sizeof(T));  // 16-byte channel vectors per position
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < outputs; i += gridDim.x * blockDim.x) {
    // Output coordinates [n, od, oh, ow, channel vector]; i is also the output vector's index.
    uint32_t rest = i;
    const uint32_t cv = rest % vectors;
    rest /= vectors;
    const int ow = static_cast<int>(rest % w.output[2]);
    rest /= w.output[2];
    const int oh = static_cast<int>(rest % w.output[1]);
    rest /= w.output[1];
    const int od = static_cast<int>(rest % w.output[0]);
    const uint32_t n = rest / w.output[0];
    const AxisTaps td = axis_taps(w, 0, od), th = axis_taps(w, 1, oh), tw = axis_taps(w, 2, ow);
    const uint4* image = x + static_cast<size_t>(n) * w.input[0] * w.input[1] * w.input[2] * vectors + cv;
    auto tap = [&](int kd, int kh, int kw) {
      const uint32_t id = static_cast<uint32_t>(td.first + kd * static_cast<int>(w.dilation[0]));
      const uint32_t ih = static_cast<uint32_t>(th.first + kh * static_cast<int>(w.dilation[1]));
      const uint32_t iw = static_cast<uint32_t>(tw.first + kw * static_cast<int>(w.dilation[2]));
      return image[static_cast<size_t>((id * w.input[1] + ih) * w.input[2] + iw) * vectors];
    };
    using Lanes = LanesOf<T>;
    const bool any_tap = td.begin < td.end && th.begin < th.end && tw.begin < tw.end;
    uint32_t acc[Lanes::kWords];
    Lanes::split(any_tap ? tap(td.begin, th.begin, tw.begin) : empty_window<T>(), acc);
    for (int kd = td.begin; kd < td.end; ++kd)
      for (int kh = th.begin; kh < th.end; ++kh)
        for (int kw = tw.begin; kw < tw.end; ++kw) {
          uint32_t v[Lanes::kWords];
          Lanes::split(tap(kd, kh, kw), v);
#pragma unroll
          for (int k = 0; k < Lanes::kWords; ++k) acc[k] = Lanes::max(acc[k], v[k]);
        }
    y[i] = Lanes::join(acc);
  }
}

}  // namespace

cudaError_t launch_max_pool_vectorized(DataType dtype, const PoolWindow& w, const void* x, void* y,
                                       cudaStream_t stream) {
  const uint32_t lanes = dtype == DataType::kFloat16 ? 8 : 16;
  if (w.kind != PoolWindow::Kind::kMax || !w.channels_last || w.channels % lanes != 0) return cudaErrorInvalidValue;
  if ((reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(y)) % 16 != 0)
    return launch_pool(dtype, w, x, y, stream);
  const uint32_t outputs = w.batch * w.output[0] * w.output[1] * w.output[2] * (w.channels / lanes);
  if (outputs == 0) return cudaSuccess;
  const uint32_t block = 256;
  const uint32_t grid = ceil_div(outputs, block) < 65536 ? ceil_div(outputs, block) : 65536;
  const auto* in = static_cast<const uint4*>(x);
  auto* out = static_cast<uint4*>(y);
  switch (dtype) {
    case DataType::kInt8: max_pool_vector_kernel<int8_t><<<grid, block, 0, stream>>>(w, in, out, outputs); break;
    case DataType::kUInt8: max_pool_vector_kernel<uint8_t><<<grid, block, 0, stream>>>(w, in, out, outputs); break;
    case DataType::kFloat16: max_pool_vector_kernel<__half><<<grid, block, 0, stream>>>(w, in, out, outputs); break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

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
