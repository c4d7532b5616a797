// ConstantOfShape, Range, EyeLike, OneHot: outputs made from a few numbers.
#include <cmath>
#include <cstring>

#include "backends/reference/axis_view.h"
#include "backends/reference/kernel.h"
#include "backends/reference/strided_copy.h"
#include "core/dispatch.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

Status constant_of_shape(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  if (const Attribute* value = ctx.node().attr("value"))
    fill_elements(out.raw(), out.numel(), value->t.raw(), data_type_size(out.dtype()));
  return Status::Ok();  // without 'value' the output is float zeros, as allocated
}

// Element i is start + i * delta, computed in double for floats and exactly for integers.
Status range(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  if (is_integer(out.dtype())) {
    KILN_ASSIGN_OR_RETURN(auto start, tensor_to_int64s(ctx.input(0)));
    KILN_ASSIGN_OR_RETURN(auto delta, tensor_to_int64s(ctx.input(2)));
    return KILN_DISPATCH_NUMERIC(out.dtype(), [&](auto tag) {
      using T = decltype(tag);
      for (int64_t i = 0; i < out.numel(); ++i) out.data<T>()[i] = static_cast<T>(start[0] + i * delta[0]);
      return Status::Ok();
    });
  }
  KILN_ASSIGN_OR_RETURN(auto start, tensor_to_doubles(ctx.input(0)));
  KILN_ASSIGN_OR_RETURN(auto delta, tensor_to_doubles(ctx.input(2)));
  return KILN_DISPATCH_FLOAT(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < out.numel(); ++i)
      out.data<T>()[i] = static_cast<T>(start[0] + static_cast<double>(i) * delta[0]);
    return Status::Ok();
  });
}

Status eye_like(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  const int64_t rows = out.dim(0), cols = out.dim(1);
  const int64_t k = ctx.node().attr_int("k");
  return KILN_DISPATCH_ALL(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < rows; ++i)
      if (i + k >= 0 && i + k < cols) out.data<T>()[i * cols + i + k] = static_cast<T>(1);
    return Status::Ok();
  });
}

// Indices outside [-depth, depth) give all-off rows, as the spec says; negatives count from the end.
Status one_hot(KernelContext& ctx) {
  const Tensor& values = ctx.input(2);
  Tensor& out = ctx.output(0);
  if (values.numel() != 2) return invalid_argument("input 'values' must hold [off_value, on_value], got {} values", values.numel());
  KILN_ASSIGN_OR_RETURN(auto indices, tensor_to_doubles(ctx.input(0)));
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(ctx.node().attr_int("axis"), out.rank()));
  const int64_t depth = out.dim(axis);
  const size_t elem = data_type_size(out.dtype());
  const auto* off_on = static_cast<const uint8_t*>(values.raw());
  fill_elements(out.raw(), out.numel(), off_on, elem);
  // The output is [outer, depth, inner] where indices are [outer, inner].
  const int64_t inner = axis_view(out.dims(), axis).inner;
  auto* dst = static_cast<uint8_t*>(out.raw());
  for (size_t i = 0; i < indices.size(); ++i) {
    if (!(std::fabs(indices[i]) <= static_cast<double>(depth))) continue;  // also skips NaN; keeps the cast defined
    auto index = static_cast<int64_t>(indices[i]);
    if (index < 0) index += depth;
    if (index < 0 || index >= depth) continue;
    const int64_t outer = static_cast<int64_t>(i) / inner, in = static_cast<int64_t>(i) % inner;
    std::memcpy(dst + static_cast<size_t>((outer * depth + index) * inner + in) * elem, off_on + elem, elem);
  }
  return Status::Ok();
}

}  // namespace

void register_generator_kernels(KernelRegistry& r) {
  r.add("ConstantOfShape", constant_of_shape);
  r.add("Range", range);
  r.add("EyeLike", eye_like);
  r.add("OneHot", one_hot);
}

}  // namespace kiln
