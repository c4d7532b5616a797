// Concat and Split. Both see each tensor as [outer, axis, inner] and move whole
// [axis-part x inner] blocks, one per outer index.
#include <cstring>

#include "backends/reference/axis_view.h"
#include "backends/reference/kernel.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

// Bytes of one step along the axis.
int64_t step_bytes(const Tensor& t, const AxisView& v) {
  return v.inner * static_cast<int64_t>(data_type_size(t.dtype()));
}

Status concat(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(ctx.node().attr_int("axis"), out.rank()));
  const AxisView ov = axis_view(out.dims(), axis);
  const int64_t step = step_bytes(out, ov);
  const int64_t out_row = ov.dim * step;
  int64_t offset = 0;  // bytes into each output row where this input goes
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor& in = ctx.input(i);
    const int64_t in_row = in.dim(axis) * step;
    const auto* src = static_cast<const uint8_t*>(in.raw());
    auto* dst = static_cast<uint8_t*>(out.raw());
    if (in_row > 0)
      for (int64_t o = 0; o < ov.outer; ++o)
        std::memcpy(dst + o * out_row + offset, src + o * in_row, static_cast<size_t>(in_row));
    offset += in_row;
  }
  return Status::Ok();
}

Status split(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(ctx.node().attr_int("axis"), in.rank()));
  const AxisView iv = axis_view(in.dims(), axis);
  const int64_t step = step_bytes(in, iv);
  const int64_t in_row = iv.dim * step;
  int64_t offset = 0;
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    Tensor& out = ctx.output(i);
    if (!out.defined()) continue;  // an output the model does not use
    const int64_t out_row = out.dim(axis) * step;
    const auto* src = static_cast<const uint8_t*>(in.raw());
    auto* dst = static_cast<uint8_t*>(out.raw());
    if (out_row > 0)
      for (int64_t o = 0; o < iv.outer; ++o)
        std::memcpy(dst + o * out_row, src + o * in_row + offset, static_cast<size_t>(out_row));
    offset += out_row;
  }
  return Status::Ok();
}

}  // namespace

void register_concat_split_kernels(KernelRegistry& r) {
  r.add("Concat", concat);
  r.add("Split", split);
}

}  // namespace kiln
