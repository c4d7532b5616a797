// Normalizations: by each group's own moments (LayerNormalization, InstanceNormalization,
// MeanVarianceNormalization) and by its Lp norm (LpNormalization) on the reduction core;
// inference BatchNormalization, which only applies given per-channel statistics, and LRN, a
// sum over a few neighbouring channels, are elementwise kernels.
#include "backends/cuda/kernels/reduce/group_reduce.cuh"
#include "backends/cuda/kernels/reduce/reducers.cuh"

namespace kiln::cuda::reduce {

namespace {

template <class T>
struct WriteMomentsNorm {
  static constexpr bool kPerElement = true;
  using A = AccOf<T>;
  using Acc = typename MomentsReducer<A>::Acc;
  MomentsNorm norm;
  T* y;

  __device__ A inv_std(const Acc& acc) const {
    const A var = acc.count > A(0) ? acc.m2 / acc.count : A(0);
    return norm.mvn ? A(1) / (sqrt_of(var) + A(1e-9)) : A(1) / sqrt_of(var + A(norm.epsilon));
  }
  __device__ void group(uint32_t g, const Acc& acc) const {
    if (norm.mean != nullptr) norm.mean[g] = static_cast<float>(acc.mean);
    if (norm.inv_std != nullptr) norm.inv_std[g] = static_cast<float>(inv_std(acc));
  }
  __device__ void element(uint32_t g, uint32_t r, uint32_t off, A v, const Acc& acc) const {
    A out = (v - acc.mean) * inv_std(acc);
    if (norm.params != MomentsNorm::Params::kNone) {
      const uint32_t p = norm.params == MomentsNorm::Params::kPerElement ? r : g % norm.channels;
      out = out * load_as<A>(static_cast<const T*>(norm.scale)[p]);
      if (norm.bias != nullptr) out += load_as<A>(static_cast<const T*>(norm.bias)[p]);
    }
    y[off] = store_as<T>(out);
  }
};

// Divides by the group's L1 norm, or by the square root of its sum of squares (kSquared).
template <class T, bool kSquared>
struct WriteLpNorm {
  static constexpr bool kPerElement = true;
  using A = AccOf<T>;
  T* y;
  __device__ void group(uint32_t, const A&) const {}
  __device__ void element(uint32_t, uint32_t, uint32_t off, A v, const A& acc) const {
    const A norm = kSquared ? sqrt_of(acc) : acc;
    y[off] = store_as<T>(norm == A(0) ? A(0) : v / norm);
  }
};

template <class T>
__global__ void batch_norm_kernel(BatchNormArgs args, const T* __restrict__ x, T* __restrict__ y) {
  using A = AccOf<T>;
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < args.numel; i += gridDim.x * blockDim.x) {
    const uint32_t c = i / args.inner % args.channels;
    const A var = load_as<A>(static_cast<const T*>(args.var)[c]);
    const A a = load_as<A>(static_cast<const T*>(args.scale)[c]) / sqrt_of(var + A(args.epsilon));
    const A mean = load_as<A>(static_cast<const T*>(args.mean)[c]);
    y[i] = store_as<T>((load_as<A>(x[i]) - mean) * a + load_as<A>(static_cast<const T*>(args.bias)[c]));
  }
}

template <class T>
__global__ void lrn_kernel(LrnArgs args, const T* __restrict__ x, T* __restrict__ y) {
  using A = AccOf<T>;
  const int before = static_cast<int>(args.size - 1) / 2, after = static_cast<int>(args.size) - 1 - before;
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < args.numel; i += gridDim.x * blockDim.x) {
    const int c = static_cast<int>(i / args.inner % args.channels);
    const int c0 = max(0, c - before), c1 = min(static_cast<int>(args.channels) - 1, c + after);
    const T* at_c0 = x + (i - static_cast<uint32_t>(c - c0) * args.inner);
    A square_sum = A(0);
    for (int k = 0; k <= c1 - c0; ++k) {
      const A v = load_as<A>(at_c0[static_cast<uint32_t>(k) * args.inner]);
      square_sum += v * v;
    }
    const A base = A(args.bias) + A(args.alpha) / A(args.size) * square_sum;
    y[i] = store_as<T>(load_as<A>(x[i]) / pow(base, A(args.beta)));
  }
}

// Blocks of 256 threads, a grid-stride loop beyond 65536 blocks.
inline uint32_t elementwise_grid(uint32_t numel) { return ceil_div(numel, 256) < 65536 ? ceil_div(numel, 256) : 65536; }

}  // namespace

cudaError_t launch_moments_norm(DataType dtype, const GroupLayout& l, const MomentsNorm& norm, const void* x, void* y,
                                cudaStream_t stream) {
  return dispatch_dtype<FloatTypes>(dtype, [&](auto tag) {
    using T = decltype(tag);
    return launch_groups<T>(l, x, MomentsReducer<AccOf<T>>{}, WriteMomentsNorm<T>{norm, static_cast<T*>(y)}, stream);
  });
}

cudaError_t launch_lp_norm(int p, DataType dtype, const GroupLayout& l, const void* x, void* y, cudaStream_t stream) {
  return dispatch_dtype<FloatTypes>(dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = AccOf<T>;
    T* out = static_cast<T*>(y);
    if (p == 1) return launch_groups<T>(l, x, L1Reducer<A>{}, WriteLpNorm<T, false>{out}, stream);
    return launch_groups<T>(l, x, SumSquareReducer<A>{}, WriteLpNorm<T, true>{out}, stream);
  });
}

cudaError_t launch_batch_norm(DataType dtype, const BatchNormArgs& args, const void* x, void* y, cudaStream_t stream) {
  if (args.numel == 0) return cudaSuccess;
  return dispatch_dtype<FloatTypes>(dtype, [&](auto tag) {
    using T = decltype(tag);
    batch_norm_kernel<T><<<elementwise_grid(args.numel), 256, 0, stream>>>(args, static_cast<const T*>(x), static_cast<T*>(y));
    return cudaGetLastError();
  });
}

cudaError_t launch_lrn(DataType dtype, const LrnArgs& args, const void* x, void* y, cudaStream_t stream) {
  if (args.numel == 0) return cudaSuccess;
  return dispatch_dtype<FloatTypes>(dtype, [&](auto tag) {
    using T = decltype(tag);
    lrn_kernel<T><<<elementwise_grid(args.numel), 256, 0, stream>>>(args, static_cast<const T*>(x), static_cast<T*>(y));
    return cudaGetLastError();
  });
}

}  // namespace kiln::cuda::reduce
