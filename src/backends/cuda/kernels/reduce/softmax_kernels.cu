// Softmax, LogSoftmax and Hardmax on the reduction core: one pass folds each row into its
// maximum and the sum of exp(x - max) (or the index of its first maximum), a second writes it.
#include "backends/cuda/kernels/reduce/group_reduce.cuh"
#include "backends/cuda/kernels/reduce/reducers.cuh"

namespace kiln::cuda::reduce {

namespace {

template <class T, bool kLog>
struct WriteSoftmax {
  static constexpr bool kPerElement = true;
  using A = AccOf<T>;
  using Acc = typename LogSumExpReducer<A>::Acc;
  T* y;
  __device__ void group(uint32_t, const Acc&) const {}
  __device__ void element(uint32_t, uint32_t, uint32_t off, A v, const Acc& acc) const {
    if constexpr (kLog) y[off] = store_as<T>((v - acc.max) - log_of(acc.sum));
    else y[off] = store_as<T>(exp_of(v - acc.max) / acc.sum);
  }
};

template <class T>
struct WriteHardmax {
  static constexpr bool kPerElement = true;
  using A = AccOf<T>;
  using Acc = typename ArgExtremeReducer<A, true>::Acc;
  T* y;
  __device__ void group(uint32_t, const Acc&) const {}
  __device__ void element(uint32_t, uint32_t r, uint32_t off, A, const Acc& acc) const {
    y[off] = store_as<T>(A(static_cast<int32_t>(r) == acc.index ? 1 : 0));
  }
};

}  // namespace

cudaError_t launch_softmax(SoftmaxKind kind, DataType dtype, const GroupLayout& l, const void* x, void* y,
                           cudaStream_t stream) {
  return dispatch_dtype<FloatTypes>(dtype, [&](auto tag) {
    using T = decltype(tag);
    using A = AccOf<T>;
    T* out = static_cast<T*>(y);
    switch (kind) {
      case SoftmaxKind::kSoftmax: return launch_groups<T>(l, x, LogSumExpReducer<A>{}, WriteSoftmax<T, false>{out}, stream);
      case SoftmaxKind::kLogSoftmax: return launch_groups<T>(l, x, LogSumExpReducer<A>{}, WriteSoftmax<T, true>{out}, stream);
      case SoftmaxKind::kHardmax:
        return launch_groups<T>(l, x, ArgExtremeReducer<A, true>{false}, WriteHardmax<T>{out}, stream);
    }
    return cudaErrorInvalidValue;
  });
}

}  // namespace kiln::cuda::reduce
