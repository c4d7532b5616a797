// The Reduce* ops and ArgMax/ArgMin on the reduction core.
#include "backends/cuda/kernels/reduce/group_reduce.cuh"
#include "backends/cuda/kernels/reduce/reducers.cuh"

namespace kiln::cuda::reduce {

namespace {

template <class T, class Reducer>
struct WriteReduced {
  static constexpr bool kPerElement = false;
  Reducer red;
  T* y;
  uint32_t count;
  __device__ void group(uint32_t g, const typename Reducer::Acc& acc) const { y[g] = store_as<T>(red.finish(acc, count)); }
};

template <template <class> class Reducer, class Types>
cudaError_t reduce_with(DataType dtype, const GroupLayout& l, const void* x, void* y, cudaStream_t stream) {
  return dispatch_dtype<Types>(dtype, [&](auto tag) {
    using T = decltype(tag);
    using R = Reducer<AccOf<T>>;
    return launch_groups<T>(l, x, R{}, WriteReduced<T, R>{R{}, static_cast<T*>(y), l.size}, stream);
  });
}

template <class Reducer>
struct WriteIndex {
  static constexpr bool kPerElement = false;
  int64_t* y;
  __device__ void group(uint32_t g, const typename Reducer::Acc& acc) const { y[g] = acc.index < 0 ? 0 : acc.index; }
};

template <bool kMax>
cudaError_t arg_reduce_with(bool select_last, DataType dtype, const GroupLayout& l, const void* x, int64_t* y,
                            cudaStream_t stream) {
  return dispatch_dtype<NumericTypes>(dtype, [&](auto tag) {
    using T = decltype(tag);
    using R = ArgExtremeReducer<AccOf<T>, kMax>;
    return launch_groups<T>(l, x, R{select_last}, WriteIndex<R>{y}, stream);
  });
}

}  // namespace

cudaError_t launch_reduce(ReduceKind kind, DataType dtype, const GroupLayout& l, const void* x, void* y,
                          cudaStream_t stream) {
  switch (kind) {
    case ReduceKind::kSum: return reduce_with<SumReducer, NumericTypes>(dtype, l, x, y, stream);
    case ReduceKind::kSumSquare: return reduce_with<SumSquareReducer, FloatTypes>(dtype, l, x, y, stream);
    case ReduceKind::kL1: return reduce_with<L1Reducer, FloatTypes>(dtype, l, x, y, stream);
    case ReduceKind::kL2: return reduce_with<L2Reducer, FloatTypes>(dtype, l, x, y, stream);
    case ReduceKind::kLogSum: return reduce_with<LogSumReducer, FloatTypes>(dtype, l, x, y, stream);
    case ReduceKind::kLogSumExp: return reduce_with<LogSumExpReducer, FloatTypes>(dtype, l, x, y, stream);
    case ReduceKind::kMax: return reduce_with<MaxReducer, NumericTypes>(dtype, l, x, y, stream);
    case ReduceKind::kMin: return reduce_with<MinReducer, NumericTypes>(dtype, l, x, y, stream);
    case ReduceKind::kMean: return reduce_with<MeanReducer, FloatTypes>(dtype, l, x, y, stream);
    case ReduceKind::kProd: return reduce_with<ProdReducer, NumericTypes>(dtype, l, x, y, stream);
  }
  return cudaErrorInvalidValue;
}

cudaError_t launch_arg_reduce(bool max, bool select_last, DataType dtype, const GroupLayout& l, const void* x,
                              int64_t* y, cudaStream_t stream) {
  return max ? arg_reduce_with<true>(select_last, dtype, l, x, y, stream)
             : arg_reduce_with<false>(select_last, dtype, l, x, y, stream);
}

}  // namespace kiln::cuda::reduce
