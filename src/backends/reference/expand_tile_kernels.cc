// Expand and Tile as strided views: Expand reads broadcast axes with stride 0; Tile sees the
// output as [repeat_0, dim_0, repeat_1, dim_1, ...] with stride 0 on every repeat axis.
#include "backends/reference/broadcast.h"
#include "backends/reference/kernel.h"
#include "backends/reference/strided_copy.h"

namespace kiln {

namespace {

Status expand(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  copy_strided(ctx.input(0), 0, out.dims(), broadcast_strides(ctx.input(0).dims(), out.dims()), out);
  return Status::Ok();
}

Status tile(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  Tensor& out = ctx.output(0);
  const std::vector<int64_t> in_strides = row_major_strides(in.dims());
  std::vector<int64_t> dims, strides;
  for (int i = 0; i < in.rank(); ++i) {
    dims.push_back(out.dim(i) / std::max<int64_t>(in.dim(i), 1));
    strides.push_back(0);
    dims.push_back(in.dim(i));
    strides.push_back(in_strides[static_cast<size_t>(i)]);
  }
  copy_strided(in, 0, dims, strides, out);
  return Status::Ok();
}

}  // namespace

void register_expand_tile_kernels(KernelRegistry& r) {
  r.add("Expand", expand);
  r.add("Tile", tile);
}

}  // namespace kiln
