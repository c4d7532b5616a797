// The reducers of the reduction core (group_reduce.cuh). A reducer folds the elements of a
// group into an accumulator that threads can also merge pairwise, in any order:
//   Acc init(); Acc add(Acc, A value, uint32_t r /* index in the group */); Acc merge(Acc, Acc).
// Reduce ops add finish(Acc, n) -> A, the group's value.
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

#include "backends/cuda/kernels/reduce/device_math.cuh"

namespace kiln::cuda::reduce {

template <class A>
__device__ __forceinline__ A exp_of(A v) {
  if constexpr (std::is_same_v<A, float>) return expf(v);
  else return exp(v);
}
template <class A>
__device__ __forceinline__ A log_of(A v) {
  if constexpr (std::is_same_v<A, float>) return logf(v);
  else return log(v);
}
template <class A>
__device__ __forceinline__ A sqrt_of(A v) {
  if constexpr (std::is_same_v<A, float>) return sqrtf(v);
  else return sqrt(static_cast<double>(v));
}
template <class A>
__device__ __forceinline__ bool is_nan(A v) {
  if constexpr (std::is_floating_point_v<A>) return v != v;
  else return false;
}

// Sums of a function of the elements; the finish step turns the sum into the op's value.
template <class A, class Term, class Finish>
struct SumOf {
  using Acc = A;
  __device__ Acc init() const { return A(0); }
  __device__ Acc add(Acc a, A v, uint32_t) const { return a + Term{}(v); }
  __device__ Acc merge(Acc a, Acc b) const { return a + b; }
  __device__ A finish(Acc a, uint32_t n) const { return Finish{}(a, n); }
};
struct Identity {
  template <class A> __device__ A operator()(A v) const { return v; }
  template <class A> __device__ A operator()(A v, uint32_t) const { return v; }
};
struct Square {
  template <class A> __device__ A operator()(A v) const { return v * v; }
};
struct Abs {
  template <class A> __device__ A operator()(A v) const { return v < A(0) ? -v : v; }
};
struct Sqrt {
  template <class A> __device__ A operator()(A v, uint32_t) const { return sqrt_of(v); }
};
struct Log {
  template <class A> __device__ A operator()(A v, uint32_t) const { return log_of(v); }
};
struct DivideByCount {
  template <class A> __device__ A operator()(A v, uint32_t n) const { return v / static_cast<A>(n); }
};

template <class A> using SumReducer = SumOf<A, Identity, Identity>;
template <class A> using SumSquareReducer = SumOf<A, Square, Identity>;
template <class A> using L1Reducer = SumOf<A, Abs, Identity>;
template <class A> using L2Reducer = SumOf<A, Square, Sqrt>;
template <class A> using LogSumReducer = SumOf<A, Identity, Log>;
template <class A> using MeanReducer = SumOf<A, Identity, DivideByCount>;

template <class A>
struct ProdReducer {
  using Acc = A;
  __device__ Acc init() const { return A(1); }
  __device__ Acc add(Acc a, A v, uint32_t) const { return a * v; }
  __device__ Acc merge(Acc a, Acc b) const { return a * b; }
  __device__ A finish(Acc a, uint32_t) const { return a; }
};

// Max (kMax) or min; a NaN anywhere wins, as in the reference.
template <class A, bool kMax>
struct ExtremeReducer {
  using Acc = A;
  __device__ Acc init() const {
    if constexpr (std::numeric_limits<A>::has_infinity)
      return kMax ? -std::numeric_limits<A>::infinity() : std::numeric_limits<A>::infinity();
    else return kMax ? std::numeric_limits<A>::lowest() : std::numeric_limits<A>::max();
  }
  __device__ Acc merge(Acc a, Acc b) const {
    if (is_nan(a)) return a;
    return is_nan(b) || (kMax ? b > a : b < a) ? b : a;
  }
  __device__ Acc add(Acc a, A v, uint32_t) const { return merge(a, v); }
  __device__ A finish(Acc a, uint32_t) const { return a; }
};
template <class A> using MaxReducer = ExtremeReducer<A, true>;
template <class A> using MinReducer = ExtremeReducer<A, false>;

// log(sum(exp(x))), the sum held relative to the running maximum so it stays finite. Softmax
// uses the same state: max and sum of exp(x - max).
template <class A>
struct LogSumExpReducer {
  struct Acc {
    A max;
    A sum;
  };
  __device__ Acc init() const { return {-std::numeric_limits<A>::infinity(), A(0)}; }
  __device__ Acc add(Acc a, A v, uint32_t) const {
    if (v > a.max) return {v, a.sum * exp_of(a.max - v) + A(1)};
    return {a.max, a.sum + exp_of(v - a.max)};
  }
  __device__ Acc merge(Acc a, Acc b) const {
    if (b.sum == A(0)) return a;
    if (a.sum == A(0)) return b;
    const A m = a.max > b.max ? a.max : b.max;
    return {m, a.sum * exp_of(a.max - m) + b.sum * exp_of(b.max - m)};
  }
  __device__ A finish(Acc a, uint32_t) const { return a.sum == A(0) ? a.max : a.max + log_of(a.sum); }
};

// The index of the largest (kMax) or smallest element; ties go to the lower index, or the
// higher one with select_last. index < 0 marks an accumulator that has seen nothing.
template <class A, bool kMax>
struct ArgExtremeReducer {
  bool select_last = false;
  struct Acc {
    A value;
    int32_t index;
  };
  __device__ Acc init() const { return {A(0), -1}; }
  __device__ Acc merge(Acc a, Acc b) const {
    if (b.index < 0) return a;
    if (a.index < 0) return b;
    const bool better = kMax ? b.value > a.value : b.value < a.value;
    const bool tie = b.value == a.value && (select_last ? b.index > a.index : b.index < a.index);
    return better || tie ? b : a;
  }
  __device__ Acc add(Acc a, A v, uint32_t r) const { return merge(a, Acc{v, static_cast<int32_t>(r)}); }
};

// Mean and sum of squared deviations (Welford; Chan et al. to merge partial results).
template <class A>
struct MomentsReducer {
  struct Acc {
    A mean;
    A m2;
    A count;
  };
  __device__ Acc init() const { return {A(0), A(0), A(0)}; }
  __device__ Acc add(Acc a, A v, uint32_t) const {
    const A count = a.count + A(1);
    const A d = v - a.mean;
    const A mean = a.mean + d / count;
    return {mean, a.m2 + d * (v - mean), count};
  }
  __device__ Acc merge(Acc a, Acc b) const {
    if (b.count == A(0)) return a;
    if (a.count == A(0)) return b;
    const A count = a.count + b.count;
    const A d = b.mean - a.mean;
    const A wb = b.count / count;
    return {a.mean + d * wb, a.m2 + b.m2 + d * d * a.count * wb, count};
  }
};

}  // namespace kiln::cuda::reduce
