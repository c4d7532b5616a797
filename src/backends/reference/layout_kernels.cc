// Transpose, DepthToSpace, SpaceToDepth: each reads the input through a permuted strided view.
#include "backends/reference/kernel.h"
#include "backends/reference/strided_copy.h"
#include "ir/ops/transpose_perm.h"

namespace kiln {

namespace {

// Copies `in`, seen with dims `view_dims`, transposed by `perm` into `out`.
void copy_permuted(const Tensor& in, const std::vector<int64_t>& view_dims, const std::vector<int64_t>& perm,
                   Tensor& out) {
  const std::vector<int64_t> in_strides = row_major_strides(view_dims);
  std::vector<int64_t> dims, strides;
  for (int64_t p : perm) {
    dims.push_back(view_dims[static_cast<size_t>(p)]);
    strides.push_back(in_strides[static_cast<size_t>(p)]);
  }
  copy_strided(in, 0, dims, strides, out);
}

Status transpose(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(auto perm, transpose_perm(ctx.node(), in.rank()));
  copy_permuted(in, in.dims(), perm, ctx.output(0));
  return Status::Ok();
}

// DCR splits channels as [block_row, block_col, C']; CRD as [C', block_row, block_col].
Status depth_to_space(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  const int64_t bs = ctx.node().attr_int("blocksize");
  const int64_t n = in.dim(0), c = in.dim(1) / (bs * bs), h = in.dim(2), w = in.dim(3);
  if (ctx.node().attr_string("mode") == "CRD") copy_permuted(in, {n, c, bs, bs, h, w}, {0, 1, 4, 2, 5, 3}, ctx.output(0));
  else copy_permuted(in, {n, bs, bs, c, h, w}, {0, 3, 4, 1, 5, 2}, ctx.output(0));
  return Status::Ok();
}

Status space_to_depth(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  const int64_t bs = ctx.node().attr_int("blocksize");
  const int64_t n = in.dim(0), c = in.dim(1), h = in.dim(2) / bs, w = in.dim(3) / bs;
  copy_permuted(in, {n, c, h, bs, w, bs}, {0, 3, 5, 1, 2, 4}, ctx.output(0));
  return Status::Ok();
}

}  // namespace

void register_layout_kernels(KernelRegistry& r) {
  r.add("Transpose", transpose);
  r.add("DepthToSpace", depth_to_space);
  r.add("SpaceToDepth", space_to_depth);
}

}  // namespace kiln
