// Shape and Size write the input's dims / element count.
#include "backends/reference/kernel.h"
#include "ir/ops/shape_range.h"

namespace kiln {

namespace {

Status shape(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  const auto [start, end] = shape_range(ctx.node(), in.rank());
  int64_t* out = ctx.output(0).data<int64_t>();
  for (int64_t i = start; i < end; ++i) out[i - start] = in.dim(static_cast<int>(i));
  return Status::Ok();
}

Status size(KernelContext& ctx) {
  *ctx.output(0).data<int64_t>() = ctx.input(0).numel();
  return Status::Ok();
}

}  // namespace

void register_shape_query_kernels(KernelRegistry& r) {
  r.add("Shape", shape);
  r.add("Size", size);
}

}  // namespace kiln
