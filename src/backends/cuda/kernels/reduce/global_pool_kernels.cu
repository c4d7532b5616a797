// Global pools of channels-last tensors X [N, pixels, C], read at the speed of memory: each thread
// loads 16 bytes of one pixel's channels at a time, so a warp reads 512 contiguous bytes, and keeps
// one accumulator per channel of its vector. A block of 256 threads takes one image and a chunk of
// up to 32 channel vectors; its threads split that chunk's pixels (threadIdx.y), each keeping four
// loads in flight, and add their partial results up through shared memory. With few images and
// many pixels (56x56 at batch 1), the pixels of an image are split over several blocks too, which
// write partial results into the workspace for a second kernel to add.
// The dequantizing mean (kiln.QGlobalAveragePool) sums the 8-bit values exactly in int32 and
// writes x_scale * (sum - pixels * zero_point) / pixels; the same finish serves the generic form
// (any layout, the reduction core) below.
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "backends/cuda/kernels/reduce/group_reduce.cuh"
#include "backends/cuda/kernels/reduce/reducers.cuh"

namespace kiln::cuda::reduce {

namespace {

using Kind = NhwcGlobalPool::Kind;

constexpr uint32_t kBlockThreads = 256;
constexpr uint32_t kMaxBlockVectors = 32;  // channel vectors per block (blockDim.x)
constexpr uint32_t kLoadsInFlight = 4;     // loads each thread issues before using them
// Enough blocks to fill a large GPU (an H100 holds 8 of these on each of its 132 SMs): fewer
// images times channel chunks than this split the pixels of each image.
constexpr uint32_t kTargetBlocks = 1024;
// A pixel split gives each thread at least this many loads.
constexpr uint32_t kMinLoadsPerThread = 8;

// int32 for 8-bit integers (exact while the pixels number at most 2^23, which the provider
// checks), float for the float types.
template <class T>
using PoolAcc = std::conditional_t<std::is_integral_v<T>, int32_t, float>;

template <class T>
constexpr uint32_t lanes_of() {
  return 16 / sizeof(T);
}

struct BlockShape {
  uint32_t width = 1, rows = 1;  // blockDim.x (channel vectors), blockDim.y (pixel lanes)
  uint32_t chunks = 1;           // blocks along the channels of one image
  uint32_t splits = 1, pixels_per_split = 1;
};

BlockShape block_shape(const NhwcGlobalPool& p, uint32_t lanes) {
  const uint32_t vectors = p.channels / lanes;
  BlockShape s;
  s.width = pow2_at_least(vectors) < kMaxBlockVectors ? pow2_at_least(vectors) : kMaxBlockVectors;
  s.rows = kBlockThreads / s.width;
  s.chunks = ceil_div(vectors, s.width);
  const uint32_t blocks = p.batch * s.chunks;
  const uint32_t most_splits = p.pixels / (s.rows * kMinLoadsPerThread);
  uint32_t splits = blocks >= kTargetBlocks ? 1 : ceil_div(kTargetBlocks, blocks);
  if (splits > most_splits) splits = most_splits;
  if (splits < 1) splits = 1;
  s.pixels_per_split = ceil_div(p.pixels, splits);
  s.splits = ceil_div(p.pixels, s.pixels_per_split);  // no empty split
  return s;
}

template <Kind K, class A>
__device__ __forceinline__ A pool_init() {
  if constexpr (K == Kind::kMax) return -std::numeric_limits<A>::infinity();
  else return A(0);
}

// Max as the reduction core's (a NaN anywhere wins) or sum.
template <Kind K, class A>
__device__ __forceinline__ A pool_combine(A a, A b) {
  if constexpr (K == Kind::kMax) {
    if (a != a) return a;
    return b != b || b > a ? b : a;
  } else {
    return a + b;
  }
}

__device__ __forceinline__ float dequantized_mean(int64_t sum, uint32_t count, int32_t zero_point, float scale) {
  return static_cast<float>(sum - static_cast<int64_t>(count) * zero_point) * scale / static_cast<float>(count);
}

template <Kind K, class A>
__device__ __forceinline__ float pool_finish(A total, const NhwcGlobalPool& p) {
  if constexpr (K == Kind::kMax) return total;
  else if constexpr (K == Kind::kMean) return total / static_cast<float>(p.pixels);
  else return dequantized_mean(total, p.pixels, p.zero_point, p.x_scale);
}

template <class T, Kind K>
__device__ __forceinline__ void accumulate(PoolAcc<T> (&acc)[lanes_of<T>()], const uint4& v) {
  using A = PoolAcc<T>;
  T lane[lanes_of<T>()];
  memcpy(lane, &v, sizeof v);
#pragma unroll
  for (uint32_t j = 0; j < lanes_of<T>(); ++j) acc[j] = pool_combine<K>(acc[j], load_as<A>(lane[j]));
}

// Grid: (channel chunks, images, pixel splits); block (width, rows). With one split the block
// writes Y; else its partial results go to `partial` [splits, N, C].
template <class T, class Y, Kind K>
__global__ void __launch_bounds__(kBlockThreads)
    nhwc_global_pool_kernel(NhwcGlobalPool p, uint32_t pixels_per_split, const uint4* __restrict__ x,
                            Y* __restrict__ y, PoolAcc<T>* __restrict__ partial) {
  using A = PoolAcc<T>;
  constexpr uint32_t V = lanes_of<T>();
  // Row (threadIdx.y, lane j) of the accumulators holds one value per threadIdx.x, so that the
  // stores below and the column sums after them touch consecutive words.
  __shared__ A shared[kBlockThreads * V];
  const uint32_t vectors = p.channels / V;
  const uint32_t cv = blockIdx.x * blockDim.x + threadIdx.x;
  const uint32_t n = blockIdx.y;
  const uint32_t first = blockIdx.z * pixels_per_split;
  const uint32_t last = min(p.pixels, first + pixels_per_split);
  A acc[V];
#pragma unroll
  for (uint32_t j = 0; j < V; ++j) acc[j] = pool_init<K, A>();
  if (cv < vectors) {
    const uint4* column = x + static_cast<size_t>(n) * p.pixels * vectors + cv;
    // Groups of kLoadsInFlight pixels, every load of a group issued before the first is used;
    // the last group's loads past the range are skipped (7x7 over 8 rows is one full group and
    // one partial one).
    const uint32_t step = blockDim.y;
    for (uint32_t px = first + threadIdx.y; px < last; px += kLoadsInFlight * step) {
      uint4 v[kLoadsInFlight];
#pragma unroll
      for (uint32_t u = 0; u < kLoadsInFlight; ++u)
        if (px + u * step < last) v[u] = column[static_cast<size_t>(px + u * step) * vectors];
#pragma unroll
      for (uint32_t u = 0; u < kLoadsInFlight; ++u)
        if (px + u * step < last) accumulate<T, K>(acc, v[u]);
    }
  }
#pragma unroll
  for (uint32_t j = 0; j < V; ++j) shared[(threadIdx.y * V + j) * blockDim.x + threadIdx.x] = acc[j];
  __syncthreads();
  // Thread e adds up column (lane j, vector i) over the rows: channel (first vector + i) * V + j.
  const uint32_t columns = blockDim.x * V;
  for (uint32_t e = threadIdx.y * blockDim.x + threadIdx.x; e < columns; e += blockDim.x * blockDim.y) {
    const uint32_t i = e % blockDim.x, j = e / blockDim.x;
    if (blockIdx.x * blockDim.x + i >= vectors) continue;
    A total = shared[j * blockDim.x + i];
    for (uint32_t r = 1; r < blockDim.y; ++r) total = pool_combine<K>(total, shared[(r * V + j) * blockDim.x + i]);
    const size_t c = static_cast<size_t>(blockIdx.x * blockDim.x + i) * V + j;
    if (gridDim.z == 1) y[static_cast<size_t>(n) * p.channels + c] = store_as<Y>(pool_finish<K>(total, p));
    else partial[(static_cast<size_t>(blockIdx.z) * p.batch + n) * p.channels + c] = total;
  }
}

// Adds up the splits' partial results [splits, N, C] and writes Y [N, C].
template <class T, class Y, Kind K>
__global__ void finish_splits_kernel(NhwcGlobalPool p, uint32_t splits, const PoolAcc<T>* __restrict__ partial,
                                     Y* __restrict__ y) {
  const uint32_t outputs = p.batch * p.channels;
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < outputs; i += gridDim.x * blockDim.x) {
    PoolAcc<T> total = partial[i];
    for (uint32_t s = 1; s < splits; ++s) total = pool_combine<K>(total, partial[static_cast<size_t>(s) * outputs + i]);
    y[i] = store_as<Y>(pool_finish<K>(total, p));
  }
}

template <class T, class Y, Kind K>
cudaError_t launch_as(const NhwcGlobalPool& p, const void* x, void* y, void* workspace, cudaStream_t stream) {
  if (p.batch == 0 || p.channels == 0) return cudaSuccess;
  if (p.pixels == 0 || p.batch > 65535) return cudaErrorInvalidValue;
  const BlockShape s = block_shape(p, lanes_of<T>());
  if (s.splits > 65535 || (s.splits > 1 && workspace == nullptr)) return cudaErrorInvalidValue;
  auto* out = static_cast<Y*>(y);
  auto* partial = static_cast<PoolAcc<T>*>(workspace);
  nhwc_global_pool_kernel<T, Y, K><<<dim3(s.chunks, p.batch, s.splits), dim3(s.width, s.rows), 0, stream>>>(
      p, s.pixels_per_split, static_cast<const uint4*>(x), out, partial);
  if (s.splits > 1) {
    const uint32_t outputs = p.batch * p.channels;
    const uint32_t grid = ceil_div(outputs, 256) < 4096 ? ceil_div(outputs, 256) : 4096;
    finish_splits_kernel<T, Y, K><<<grid, 256, 0, stream>>>(p, s.splits, partial, out);
  }
  return cudaGetLastError();
}

// Calls f(T{}) with the device type of a float `dtype` (float32, float16, bfloat16).
template <class F>
cudaError_t with_float_type(DataType dtype, F&& f) {
  switch (dtype) {
    case DataType::kFloat32: return f(float{});
    case DataType::kFloat16: return f(__half{});
    case DataType::kBFloat16: return f(__nv_bfloat16{});
    default: return cudaErrorInvalidValue;
  }
}

// Calls f(T{}) with the device type of an 8-bit integer `dtype`.
template <class F>
cudaError_t with_byte_type(DataType dtype, F&& f) {
  switch (dtype) {
    case DataType::kInt8: return f(int8_t{});
    case DataType::kUInt8: return f(uint8_t{});
    default: return cudaErrorInvalidValue;
  }
}

template <class Y>
struct WriteDequantizedMean {
  static constexpr bool kPerElement = false;
  Y* y;
  float scale;
  int32_t zero_point;
  uint32_t count;
  __device__ void group(uint32_t g, int64_t sum) const { y[g] = store_as<Y>(dequantized_mean(sum, count, zero_point, scale)); }
};

}  // namespace

uint32_t nhwc_global_pool_lanes(DataType x_type) {
  switch (x_type) {
    case DataType::kFloat32: return 4;
    case DataType::kFloat16:
    case DataType::kBFloat16: return 8;
    case DataType::kInt8:
    case DataType::kUInt8: return 16;
    default: return 0;
  }
}

size_t nhwc_global_pool_workspace(const NhwcGlobalPool& p) {
  const uint32_t lanes = nhwc_global_pool_lanes(p.x_type);
  if (lanes == 0 || p.channels % lanes != 0 || p.pixels == 0) return 0;
  const BlockShape s = block_shape(p, lanes);
  return s.splits > 1 ? size_t{s.splits} * p.batch * p.channels * 4 : 0;  // int32 or float partial results
}

cudaError_t launch_nhwc_global_pool(const NhwcGlobalPool& p, const void* x, void* y, void* workspace,
                                    cudaStream_t stream) {
  const uint32_t lanes = nhwc_global_pool_lanes(p.x_type);
  if (lanes == 0 || p.channels % lanes != 0 || reinterpret_cast<uintptr_t>(x) % 16 != 0) return cudaErrorInvalidValue;
  if (p.kind == Kind::kDequantizeMean)
    return with_byte_type(p.x_type, [&](auto x_tag) {
      return with_float_type(p.y_type, [&](auto y_tag) {
        return launch_as<decltype(x_tag), decltype(y_tag), Kind::kDequantizeMean>(p, x, y, workspace, stream);
      });
    });
  if (p.x_type != p.y_type) return cudaErrorInvalidValue;
  return with_float_type(p.x_type, [&](auto tag) {
    using T = decltype(tag);
    return p.kind == Kind::kMax ? launch_as<T, T, Kind::kMax>(p, x, y, workspace, stream)
                                : launch_as<T, T, Kind::kMean>(p, x, y, workspace, stream);
  });
}

cudaError_t launch_dequantize_mean(DataType x_type, DataType y_type, const GroupLayout& layout, float x_scale,
                                   int32_t zero_point, const void* x, void* y, cudaStream_t stream) {
  return with_byte_type(x_type, [&](auto x_tag) {
    return with_float_type(y_type, [&](auto y_tag) {
      using T = decltype(x_tag);
      using Y = decltype(y_tag);
      const WriteDequantizedMean<Y> write{static_cast<Y*>(y), x_scale, zero_point, layout.size};
      return launch_groups<T>(layout, x, SumReducer<AccOf<T>>{}, write, stream);
    });
  });
}

}  // namespace kiln::cuda::reduce
