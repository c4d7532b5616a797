// Reference kernels of the Reduce* ops: one loop (reduce_into) folds the elements of each output
// with a reducer that says how to start, add a value, and finish.
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "backends/reference/kernel.h"
#include "backends/reference/reduce_layout.h"
#include "core/dispatch.h"
#include "core/thread_pool.h"
#include "ir/ops/reduce_axes.h"

namespace kiln {

namespace {

// Values are folded in double for floating types (exact enough for any sum the tests see) and in
// 64-bit integers for integer types (exact sums and products, as ONNX's integer reductions are).
template <class T>
using Accum = std::conditional_t<std::is_integral_v<T>, std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>, double>;

template <class V>
struct SumReducer {
  V acc = 0;
  void add(V x) { acc += x; }
  V result(int64_t) const { return acc; }
};
template <class V>
struct SumSquareReducer {
  V acc = 0;
  void add(V x) { acc += x * x; }
  V result(int64_t) const { return acc; }
};
template <class V>
struct L1Reducer {
  V acc = 0;
  void add(V x) {
    if constexpr (std::is_unsigned_v<V>) acc += x;
    else acc += x < 0 ? -x : x;
  }
  V result(int64_t) const { return acc; }
};
template <class V>
struct L2Reducer {
  V acc = 0;
  void add(V x) { acc += x * x; }
  V result(int64_t) const { return static_cast<V>(std::sqrt(static_cast<double>(acc))); }
};
template <class V>
struct LogSumReducer {
  V acc = 0;
  void add(V x) { acc += x; }
  V result(int64_t) const { return static_cast<V>(std::log(static_cast<double>(acc))); }
};
// log(sum(exp(x))) kept finite for large x: the sum is held relative to the running maximum.
template <class V>
struct LogSumExpReducer {
  double max = -std::numeric_limits<double>::infinity();
  double sum = 0;
  void add(V v) {
    const double x = static_cast<double>(v);
    if (x > max) {
      sum = sum * std::exp(max - x) + 1;
      max = x;
    } else {
      sum += std::exp(x - max);
    }
  }
  V result(int64_t) const { return static_cast<V>(sum == 0 ? max : max + std::log(sum)); }
};
template <class V>
struct MaxReducer {
  V acc = std::numeric_limits<V>::has_infinity ? -std::numeric_limits<V>::infinity() : std::numeric_limits<V>::lowest();
  void add(V x) { acc = x > acc || std::isnan(static_cast<double>(x)) ? x : acc; }
  V result(int64_t) const { return acc; }
};
template <class V>
struct MinReducer {
  V acc = std::numeric_limits<V>::has_infinity ? std::numeric_limits<V>::infinity() : std::numeric_limits<V>::max();
  void add(V x) { acc = x < acc || std::isnan(static_cast<double>(x)) ? x : acc; }
  V result(int64_t) const { return acc; }
};
template <class V>
struct MeanReducer {
  V acc = 0;
  void add(V x) { acc += x; }
  // An empty mean is 0/0: NaN for floats; integers have no NaN, so 0 there.
  V result(int64_t n) const {
    if constexpr (std::is_integral_v<V>) return n == 0 ? 0 : acc / static_cast<V>(n);
    else return acc / static_cast<V>(n);
  }
};
template <class V>
struct ProdReducer {
  V acc = 1;
  void add(V x) { acc *= x; }
  V result(int64_t) const { return acc; }
};

template <class T, class Reducer>
void reduce_into(const Tensor& x, Tensor& y, const ReduceLayout& layout) {
  const T* in = x.data<T>();
  T* out = y.data<T>();
  const int64_t grain = std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, layout.reduce_size()));
  parallel_for(layout.num_outputs(), grain, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      Reducer r;
      layout.for_each(layout.first_offset(o), [&](int64_t at) { r.add(static_cast<Accum<T>>(in[at])); });
      out[o] = static_cast<T>(r.result(layout.reduce_size()));
    }
  });
}

template <template <class> class Reducer>
Status reduce_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& y = ctx.output(0);
  KILN_ASSIGN_OR_RETURN(ReduceAxes axes, resolve_reduce_axes(ctx.node(), x.rank(), ctx.has_input(1),
                                                             ctx.has_input(1) ? &ctx.input(1) : nullptr));
  if (axes.noop) {
    std::memcpy(y.raw(), x.raw(), x.nbytes());
    return Status::Ok();
  }
  const ReduceLayout layout(x.dims(), axes.reduced);
  auto run = [&](auto tag) {
    using T = decltype(tag);
    reduce_into<T, Reducer<Accum<T>>>(x, y, layout);
    return Status::Ok();
  };
  return KILN_DISPATCH_NUMERIC(x.dtype(), run);
}

}  // namespace

void register_reduce_kernels(KernelRegistry& r) {
  r.add("ReduceSum", reduce_kernel<SumReducer>);
  r.add("ReduceSumSquare", reduce_kernel<SumSquareReducer>);
  r.add("ReduceL1", reduce_kernel<L1Reducer>);
  r.add("ReduceL2", reduce_kernel<L2Reducer>);
  r.add("ReduceLogSum", reduce_kernel<LogSumReducer>);
  r.add("ReduceLogSumExp", reduce_kernel<LogSumExpReducer>);
  r.add("ReduceMax", reduce_kernel<MaxReducer>);
  r.add("ReduceMin", reduce_kernel<MinReducer>);
  r.add("ReduceMean", reduce_kernel<MeanReducer>);
  r.add("ReduceProd", reduce_kernel<ProdReducer>);
}

}  // namespace kiln
