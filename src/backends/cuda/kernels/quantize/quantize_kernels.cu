// The linear (de)quantization kernels, over the element functions of quantize_element.cuh.
#include <cstdint>
#include <initializer_list>
#include <type_traits>

#include "backends/cuda/kernels/quantize/quantize_element.cuh"
#include "backends/cuda/kernels/quantize/quantize_kernels.h"

namespace kiln::cuda::quantize {

namespace {

constexpr int kBlock = 256;
constexpr int64_t kMaxGrid = 4096;
// The most per-block partial results DynamicQuantizeLinear folds; each block reads them all.
constexpr int64_t kMaxPartials = 1024;
// Elements per thread the partial min/max pass aims for before adding blocks.
constexpr int64_t kElementsPerThread = 8;

__device__ __forceinline__ int64_t param_index(const ParamAxis& axis, int64_t i) {
  return axis.size == 1 ? 0 : (i / axis.inner) % axis.size;
}

int grid_for(int64_t n) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  return static_cast<int>(blocks < 1 ? 1 : (blocks < kMaxGrid ? blocks : kMaxGrid));
}

// y[i] = f(x[i], param_index(i)), one element a thread and grid-stride.
template <class In, class Out, class F>
__global__ void convert_kernel(ParamAxis axis, int64_t n, const In* __restrict__ x, F f, Out* __restrict__ y) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] = f(x[i], param_index(axis, i));
}

// kVectorElements consecutive elements, moved as 16-byte words (one to four of them).
template <class T>
struct alignas(16) Pack {
  T v[kVectorElements];
};
static_assert(sizeof(Pack<int8_t>) == 16 && sizeof(Pack<float>) == 64);

// The same, each thread converting the kVectorElements elements from i = vector * kVectorElements
// on. Their parameters are all p = param_index(i), or p .. p + kVectorElements - 1 when
// kAlongVector (the quantization axis is the innermost one).
template <class In, class Out, class F, bool kAlongVector>
__global__ void convert_vector_kernel(ParamAxis axis, int64_t vectors, const In* __restrict__ x, F f,
                                      Out* __restrict__ y) {
  for (int64_t v = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; v < vectors;
       v += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = v * kVectorElements;
    const int64_t p = param_index(axis, i);
    const Pack<In> in = *reinterpret_cast<const Pack<In>*>(x + i);
    Pack<Out> out;
#pragma unroll
    for (int j = 0; j < kVectorElements; ++j) out.v[j] = f(in.v[j], kAlongVector ? p + j : p);
    *reinterpret_cast<Pack<Out>*>(y + i) = out;
  }
}

// Whether the vector kernels can take these pointers (each at a 16-byte boundary; null is).
bool aligned16(std::initializer_list<const void*> pointers) {
  for (const void* p : pointers)
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) return false;
  return true;
}

// Calls f(std::bool_constant<along>) for the vector kernels' parameter indexing of `axis`.
template <class F>
void with_param_indexing(const ParamAxis& axis, F&& f) {
  if (axis.size > 1 && axis.inner == 1) f(std::true_type{});
  else f(std::false_type{});
}

struct MinMax {
  float lo, hi;
};

// The block's min and max of `v` (every thread's), valid in thread 0. fminf/fmaxf skip NaN, as
// the reference's std::min/std::max with the running value first do.
__device__ MinMax block_min_max(MinMax v) {
  __shared__ MinMax warps[kBlock / 32];
  for (int delta = 16; delta > 0; delta /= 2) {
    v.lo = fminf(v.lo, __shfl_down_sync(0xffffffffu, v.lo, delta));
    v.hi = fmaxf(v.hi, __shfl_down_sync(0xffffffffu, v.hi, delta));
  }
  if (threadIdx.x % 32 == 0) warps[threadIdx.x / 32] = v;
  __syncthreads();
  if (threadIdx.x < 32) {
    v = threadIdx.x < kBlock / 32 ? warps[threadIdx.x] : MinMax{0.f, 0.f};
    for (int delta = 16; delta > 0; delta /= 2) {
      v.lo = fminf(v.lo, __shfl_down_sync(0xffffffffu, v.lo, delta));
      v.hi = fmaxf(v.hi, __shfl_down_sync(0xffffffffu, v.hi, delta));
    }
  }
  return v;
}

// Pass 1: block b writes the min and max of its grid-stride share, both starting from 0 (the
// range always includes 0), to partials[b] and partials[gridDim.x + b].
template <class X>
__global__ void partial_min_max_kernel(int64_t n, const X* __restrict__ x, float* __restrict__ partials) {
  MinMax v{0.f, 0.f};
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float f = to_float(x[i]);
    v.lo = fminf(v.lo, f);
    v.hi = fmaxf(v.hi, f);
  }
  v = block_min_max(v);
  if (threadIdx.x == 0) {
    partials[blockIdx.x] = v.lo;
    partials[gridDim.x + blockIdx.x] = v.hi;
  }
}

// Pass 2: every block folds the `num_partials` partial results into the scale and zero point
// (block 0 writes them out), then quantizes its grid-stride share of x.
template <class X>
__global__ void dynamic_quantize_kernel(int64_t n, const X* __restrict__ x, const float* __restrict__ partials,
                                        int num_partials, uint8_t* __restrict__ y, float* __restrict__ y_scale,
                                        uint8_t* __restrict__ y_zero_point) {
  __shared__ float shared_scale;
  __shared__ uint8_t shared_zero_point;
  MinMax v{0.f, 0.f};
  for (int j = threadIdx.x; j < num_partials; j += blockDim.x) {
    v.lo = fminf(v.lo, partials[j]);
    v.hi = fmaxf(v.hi, partials[num_partials + j]);
  }
  v = block_min_max(v);
  if (threadIdx.x == 0) {
    const float scale = __fdiv_rn(__fsub_rn(v.hi, v.lo), 255.f);
    const uint8_t zero_point = scale == 0.f ? 0 : quantize_value<uint8_t>(__fdiv_rn(-v.lo, scale), 0);
    shared_scale = scale;
    shared_zero_point = zero_point;
    if (blockIdx.x == 0) {
      *y_scale = scale;
      *y_zero_point = zero_point;
    }
  }
  __syncthreads();
  const float scale = shared_scale;
  const uint8_t zero_point = shared_zero_point;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] = scale == 0.f ? zero_point : quantize_value<uint8_t>(__fdiv_rn(to_float(x[i]), scale), zero_point);
}

int partial_count(int64_t n) {
  const int64_t blocks = (n + kBlock * kElementsPerThread - 1) / (kBlock * kElementsPerThread);
  return static_cast<int>(blocks < 1 ? 1 : (blocks < kMaxPartials ? blocks : kMaxPartials));
}

}  // namespace

cudaError_t launch_quantize(DataType x_type, DataType scale_type, DataType q_type, const ParamAxis& axis, int64_t n,
                            const void* x, const void* scale, const void* zero_point, void* y, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  bool dispatched = false;
  with_float_type(x_type, [&](auto x_tag) {
    with_float_type(scale_type, [&](auto s_tag) {
      dispatched = with_quantized_type(q_type, [&](auto q_tag) {
        using X = decltype(x_tag);
        using S = decltype(s_tag);
        using Q = decltype(q_tag);
        const QuantizeElement<X, S, Q> f{static_cast<const S*>(scale), static_cast<const Q*>(zero_point)};
        convert_kernel<<<grid_for(n), kBlock, 0, stream>>>(axis, n, static_cast<const X*>(x), f, static_cast<Q*>(y));
      });
    });
  });
  return dispatched ? cudaGetLastError() : cudaErrorInvalidValue;
}

cudaError_t launch_dequantize(DataType q_type, DataType scale_type, const ParamAxis& axis, int64_t n, const void* x,
                              const void* scale, const void* zero_point, void* y, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  bool dispatched = false;
  with_quantized_type(q_type, [&](auto q_tag) {
    dispatched = with_float_type(scale_type, [&](auto s_tag) {
      using Q = decltype(q_tag);
      using S = decltype(s_tag);
      const DequantizeElement<Q, S> f{static_cast<const S*>(scale), static_cast<const Q*>(zero_point)};
      convert_kernel<<<grid_for(n), kBlock, 0, stream>>>(axis, n, static_cast<const Q*>(x), f, static_cast<S*>(y));
    });
  });
  return dispatched ? cudaGetLastError() : cudaErrorInvalidValue;
}

cudaError_t launch_quantize_vectorized(DataType x_type, DataType scale_type, DataType q_type, const ParamAxis& axis,
                                       int64_t n, const void* x, const void* scale, const void* zero_point, void* y,
                                       cudaStream_t stream) {
  if (!aligned16({x, y})) return launch_quantize(x_type, scale_type, q_type, axis, n, x, scale, zero_point, y, stream);
  const int64_t vectors = n / kVectorElements;
  if (vectors == 0) return cudaSuccess;
  bool dispatched = false;
  with_float_type(x_type, [&](auto x_tag) {
    with_float_type(scale_type, [&](auto s_tag) {
      dispatched = with_quantized_type(q_type, [&](auto q_tag) {
        using X = decltype(x_tag);
        using S = decltype(s_tag);
        using Q = decltype(q_tag);
        const QuantizeElement<X, S, Q> f{static_cast<const S*>(scale), static_cast<const Q*>(zero_point)};
        with_param_indexing(axis, [&](auto along) {
          convert_vector_kernel<X, Q, QuantizeElement<X, S, Q>, decltype(along)::value>
              <<<grid_for(vectors), kBlock, 0, stream>>>(axis, vectors, static_cast<const X*>(x), f, static_cast<Q*>(y));
        });
      });
    });
  });
  return dispatched ? cudaGetLastError() : cudaErrorInvalidValue;
}

cudaError_t launch_dequantize_vectorized(DataType q_type, DataType scale_type, const ParamAxis& axis, int64_t n,
                                         const void* x, const void* scale, const void* zero_point, void* y,
                                         cudaStream_t stream) {
  if (!aligned16({x, y})) return launch_dequantize(q_type, scale_type, axis, n, x, scale, zero_point, y, stream);
  const int64_t vectors = n / kVectorElements;
  if (vectors == 0) return cudaSuccess;
  bool dispatched = false;
  with_quantized_type(q_type, [&](auto q_tag) {
    dispatched = with_float_type(scale_type, [&](auto s_tag) {
      using Q = decltype(q_tag);
      using S = decltype(s_tag);
      const DequantizeElement<Q, S> f{static_cast<const S*>(scale), static_cast<const Q*>(zero_point)};
      with_param_indexing(axis, [&](auto along) {
        convert_vector_kernel<Q, S, DequantizeElement<Q, S>, decltype(along)::value>
            <<<grid_for(vectors), kBlock, 0, stream>>>(axis, vectors, static_cast<const Q*>(x), f, static_cast<S*>(y));
      });
    });
  });
  return dispatched ? cudaGetLastError() : cudaErrorInvalidValue;
}

size_t dynamic_quantize_workspace_bytes(int64_t n) { return 2 * sizeof(float) * static_cast<size_t>(partial_count(n)); }

cudaError_t launch_dynamic_quantize(DataType x_type, int64_t n, const void* x, void* y, float* y_scale,
                                    uint8_t* y_zero_point, void* workspace, cudaStream_t stream) {
  const int partials = partial_count(n);
  float* partial_min_max = static_cast<float*>(workspace);
  cudaError_t err = cudaErrorInvalidValue;
  with_float_type(x_type, [&](auto x_tag) {
    using X = decltype(x_tag);
    partial_min_max_kernel<X><<<partials, kBlock, 0, stream>>>(n, static_cast<const X*>(x), partial_min_max);
    err = cudaGetLastError();
    if (err != cudaSuccess) return;
    dynamic_quantize_kernel<X><<<grid_for(n), kBlock, 0, stream>>>(n, static_cast<const X*>(x), partial_min_max,
                                                                   partials, static_cast<uint8_t*>(y), y_scale,
                                                                   y_zero_point);
    err = cudaGetLastError();
  });
  return err;
}

}  // namespace kiln::cuda::quantize
