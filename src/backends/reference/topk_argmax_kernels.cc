// TopK, ArgMax, ArgMin: per line along the axis, pick elements by value. Ties go to the lower
// index (ArgMax/ArgMin: the higher one with select_last_index).
#include <algorithm>
#include <numeric>

#include "backends/reference/compute_type.h"
#include "backends/reference/axis_view.h"
#include "backends/reference/kernel.h"
#include "core/dispatch.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

Status top_k(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  Tensor& values = ctx.output(0);
  Tensor& indices = ctx.output(1);
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(ctx.node().attr_int("axis"), in.rank()));
  const AxisView l = axis_view(in.dims(), axis);
  const int64_t k = values.dim(axis);
  const bool largest = ctx.node().attr_int("largest") != 0;
  return KILN_DISPATCH_NUMERIC(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = in.data<T>();
    std::vector<int64_t> order(static_cast<size_t>(l.dim));
    for (int64_t o = 0; o < l.outer; ++o)
      for (int64_t i = 0; i < l.inner; ++i) {
        auto at = [&](int64_t j) { return static_cast<ComputeType<T>>(x[(o * l.dim + j) * l.inner + i]); };
        std::iota(order.begin(), order.end(), 0);
        // Always sorted, which 'sorted=0' allows too.
        std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t a, int64_t b) {
          const auto va = at(a), vb = at(b);
          if (va != vb) return largest ? va > vb : va < vb;
          return a < b;
        });
        for (int64_t j = 0; j < k; ++j) {
          const int64_t out_at = (o * k + j) * l.inner + i;
          values.data<T>()[out_at] = x[(o * l.dim + order[static_cast<size_t>(j)]) * l.inner + i];
          indices.data<int64_t>()[out_at] = order[static_cast<size_t>(j)];
        }
      }
    return Status::Ok();
  });
}

template <bool kMax>
Status arg_extreme(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(ctx.node().attr_int("axis"), in.rank()));
  const AxisView l = axis_view(in.dims(), axis);
  if (l.dim == 0 && l.outer * l.inner > 0) return invalid_argument("cannot take the arg extreme of an empty axis {}", axis);
  const bool last = ctx.node().attr_int("select_last_index") != 0;
  int64_t* out = ctx.output(0).data<int64_t>();
  return KILN_DISPATCH_NUMERIC(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = in.data<T>();
    for (int64_t o = 0; o < l.outer; ++o)
      for (int64_t i = 0; i < l.inner; ++i) {
        int64_t best = 0;
        auto best_v = static_cast<ComputeType<T>>(x[o * l.dim * l.inner + i]);
        for (int64_t j = 1; j < l.dim; ++j) {
          const auto v = static_cast<ComputeType<T>>(x[(o * l.dim + j) * l.inner + i]);
          const bool better = kMax ? v > best_v : v < best_v;
          if (better || (last && v == best_v)) {
            best = j;
            best_v = v;
          }
        }
        out[o * l.inner + i] = best;
      }
    return Status::Ok();
  });
}

}  // namespace

void register_topk_argmax_kernels(KernelRegistry& r) {
  r.add("TopK", top_k);
  r.add("ArgMax", arg_extreme<true>);
  r.add("ArgMin", arg_extreme<false>);
}

}  // namespace kiln
