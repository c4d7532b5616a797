// Concat and Split. Both see each tensor as [outer, axis, inner] and move whole
// [axis-part x inner] blocks, one per outer index.
#include <cstring>

#include "backends/reference/kernel.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

struct AxisBlocks {
  int64_t outer = 1;
  int64_t inner_bytes = 0;  // bytes of one step along the axis
};

AxisBlocks blocks_of(const Tensor& t, int axis) {
  AxisBlocks b;
  int64_t inner = 1;
  for (int d = 0; d < axis; ++d) b.outer *= t.dim(d);
  for (int d = axis + 1; d < t.rank(); ++d) inner *= t.dim(d);
  b.inner_bytes = inner * static_cast<int64_t>(data_type_size(t.dtype()));
  return b;
}

Status concat(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(ctx.node().attr_int("axis"), out.rank()));
  const AxisBlocks ob = blocks_of(out, axis);
  const int64_t out_row = out.dim(axis) * ob.inner_bytes;
  int64_t offset = 0;  // bytes into each output row where this input goes
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor& in = ctx.input(i);
    const int64_t in_row = in.dim(axis) * ob.inner_bytes;
    const auto* src = static_cast<const uint8_t*>(in.raw());
    auto* dst = static_cast<uint8_t*>(out.raw());
    if (in_row > 0)
      for (int64_t o = 0; o < ob.outer; ++o)
        std::memcpy(dst + o * out_row + offset, src + o * in_row, static_cast<size_t>(in_row));
    offset += in_row;
  }
  return Status::Ok();
}

Status split(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(ctx.node().attr_int("axis"), in.rank()));
  const AxisBlocks ib = blocks_of(in, axis);
  const int64_t in_row = in.dim(axis) * ib.inner_bytes;
  int64_t offset = 0;
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    Tensor& out = ctx.output(i);
    if (!out.defined()) continue;  // an output the model does not use
    const int64_t out_row = out.dim(axis) * ib.inner_bytes;
    const auto* src = static_cast<const uint8_t*>(in.raw());
    auto* dst = static_cast<uint8_t*>(out.raw());
    if (out_row > 0)
      for (int64_t o = 0; o < ib.outer; ++o)
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
