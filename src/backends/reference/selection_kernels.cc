// NonZero, Compress and Unique count their output first, then set it (its size is data-dependent).
#include <algorithm>
#include <cstring>
#include <numeric>

#include "backends/reference/compute_type.h"
#include "backends/reference/axis_view.h"
#include "backends/reference/kernel.h"
#include "core/dispatch.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

template <class T>
bool is_nonzero(T v) {
  return static_cast<ComputeType<T>>(v) != ComputeType<T>{};
}

Status non_zero(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  std::vector<int64_t> hits;  // linear positions of nonzero elements
  KILN_RETURN_IF_ERROR(KILN_DISPATCH_ALL(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < in.numel(); ++i)
      if (is_nonzero(in.data<T>()[i])) hits.push_back(i);
    return Status::Ok();
  }));
  const auto n = static_cast<int64_t>(hits.size());
  Tensor out(DataType::kInt64, {in.rank(), n});
  for (int64_t h = 0; h < n; ++h) {
    int64_t rest = hits[static_cast<size_t>(h)];
    for (int d = in.rank(); d-- > 0;) {
      out.data<int64_t>()[d * n + h] = rest % in.dim(d);
      rest /= in.dim(d);
    }
  }
  ctx.set_output(0, std::move(out));
  return Status::Ok();
}

// Compress and Unique select along the axis, or along the flattened tensor when there is none.
AxisView selection_view(const Tensor& t, const Attribute* axis_attr, int axis) {
  return axis_attr == nullptr ? axis_view({t.numel()}, 0) : axis_view(t.dims(), axis);
}

// Copies slices `chosen` (positions along the view's axis) of `in` into a tensor of `out_dims`.
Tensor take_slices(const Tensor& in, const AxisView& v, const std::vector<int64_t>& chosen, std::vector<int64_t> out_dims) {
  Tensor out(in.dtype(), std::move(out_dims));
  const size_t block = static_cast<size_t>(v.inner) * data_type_size(in.dtype());
  const auto* src = static_cast<const uint8_t*>(in.raw());
  auto* dst = static_cast<uint8_t*>(out.raw());
  const auto n = static_cast<int64_t>(chosen.size());
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t j = 0; j < n; ++j)
      std::memcpy(dst + static_cast<size_t>(o * n + j) * block,
                  src + static_cast<size_t>(o * v.dim + chosen[static_cast<size_t>(j)]) * block, block);
  return out;
}

Expected<int> axis_of(const KernelContext& ctx, int rank) {
  const Attribute* a = ctx.node().attr("axis");
  if (a == nullptr) return 0;
  return normalize_axis(a->i, rank);
}

Status compress(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  const Tensor& cond = ctx.input(1);
  if (cond.rank() != 1) return invalid_argument("input 'condition' must be 1-D, got {}", dims_to_string(cond.dims()));
  const Attribute* axis_attr = ctx.node().attr("axis");
  KILN_ASSIGN_OR_RETURN(int axis, axis_of(ctx, in.rank()));
  const AxisView v = selection_view(in, axis_attr, axis);
  std::vector<int64_t> chosen;
  for (int64_t i = 0; i < cond.numel(); ++i) {
    if (!cond.data<bool>()[i]) continue;
    if (i >= v.dim) return out_of_range("input 'condition' selects position {}, past the axis size {}", i, v.dim);
    chosen.push_back(i);
  }
  std::vector<int64_t> dims = {static_cast<int64_t>(chosen.size())};
  if (axis_attr != nullptr) {
    dims = in.dims();
    dims[static_cast<size_t>(axis)] = static_cast<int64_t>(chosen.size());
  }
  ctx.set_output(0, take_slices(in, v, chosen, std::move(dims)));
  return Status::Ok();
}

Tensor int64_vector(const std::vector<int64_t>& v) {
  Tensor t(DataType::kInt64, {static_cast<int64_t>(v.size())});
  std::copy(v.begin(), v.end(), t.data<int64_t>());
  return t;
}

// Unique slices along the axis (elements when there is no axis), compared lexicographically.
Status unique(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  const Attribute* axis_attr = ctx.node().attr("axis");
  KILN_ASSIGN_OR_RETURN(int axis, axis_of(ctx, in.rank()));
  const AxisView v = selection_view(in, axis_attr, axis);
  std::vector<int64_t> order(static_cast<size_t>(v.dim));
  std::iota(order.begin(), order.end(), 0);
  std::vector<int64_t> group_of(order.size());  // slice -> index of its group in the output
  std::vector<int64_t> first, counts;           // per group
  KILN_RETURN_IF_ERROR(KILN_DISPATCH_ALL(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = ComputeType<T>;
    const T* x = in.data<T>();
    // -1, 0, 1 comparing slice a with slice b element by element in row-major order.
    auto compare = [&](int64_t a, int64_t b) {
      for (int64_t o = 0; o < v.outer; ++o)
        for (int64_t i = 0; i < v.inner; ++i) {
          const C xa = static_cast<C>(x[(o * v.dim + a) * v.inner + i]);
          const C xb = static_cast<C>(x[(o * v.dim + b) * v.inner + i]);
          if (xa < xb) return -1;
          if (xb < xa) return 1;
        }
      return 0;
    };
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return compare(a, b) < 0; });
    for (size_t i = 0; i < order.size(); ++i) {
      if (i == 0 || compare(order[i - 1], order[i]) != 0) {
        first.push_back(order[i]);  // stable sort: the group's first occurrence comes first
        counts.push_back(0);
      }
      group_of[static_cast<size_t>(order[i])] = static_cast<int64_t>(first.size()) - 1;
      ++counts.back();
    }
    return Status::Ok();
  }));
  if (ctx.node().attr_int("sorted") == 0) {  // groups in order of first occurrence
    std::vector<int64_t> by_first(first.size());
    std::iota(by_first.begin(), by_first.end(), 0);
    std::sort(by_first.begin(), by_first.end(), [&](int64_t a, int64_t b) { return first[static_cast<size_t>(a)] < first[static_cast<size_t>(b)]; });
    std::vector<int64_t> new_pos(first.size()), new_first(first.size()), new_counts(first.size());
    for (size_t p = 0; p < by_first.size(); ++p) {
      const auto g = static_cast<size_t>(by_first[p]);
      new_pos[g] = static_cast<int64_t>(p);
      new_first[p] = first[g];
      new_counts[p] = counts[g];
    }
    for (int64_t& g : group_of) g = new_pos[static_cast<size_t>(g)];
    first = std::move(new_first);
    counts = std::move(new_counts);
  }
  std::vector<int64_t> y_dims = {static_cast<int64_t>(first.size())};
  if (axis_attr != nullptr) {
    y_dims = in.dims();
    y_dims[static_cast<size_t>(axis)] = static_cast<int64_t>(first.size());
  }
  ctx.set_output(0, take_slices(in, v, first, std::move(y_dims)));
  if (ctx.num_outputs() > 1) ctx.set_output(1, int64_vector(first));
  if (ctx.num_outputs() > 2) ctx.set_output(2, int64_vector(group_of));
  if (ctx.num_outputs() > 3) ctx.set_output(3, int64_vector(counts));
  return Status::Ok();
}

}  // namespace

void register_selection_kernels(KernelRegistry& r) {
  r.add("NonZero", non_zero);
  r.add("Compress", compress);
  r.add("Unique", unique);
}

}  // namespace kiln
