// Slice: a strided view of the input (start offset, step-scaled strides).
#include "backends/reference/kernel.h"
#include "backends/reference/strided_copy.h"
#include "ir/ops/slice_window.h"

namespace kiln {

namespace {

Status slice(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  std::vector<const Tensor*> args_inputs;
  for (int i = 1; i <= 4; ++i) args_inputs.push_back(ctx.has_input(i) ? &ctx.input(i) : nullptr);
  KILN_ASSIGN_OR_RETURN(SliceArgs args, read_slice_args(ctx.node(), args_inputs, in.rank()));
  std::vector<int64_t> dims = in.dims();
  std::vector<int64_t> strides = row_major_strides(in.dims());
  int64_t offset = 0;
  for (size_t i = 0; i < args.axes.size(); ++i) {
    const auto a = static_cast<size_t>(args.axes[i]);
    const SliceWindow w = clamp_slice(args.starts[i], args.ends[i], args.steps[i], in.dims()[a]);
    dims[a] = w.count;
    if (w.count > 0) offset += w.start * strides[a];
    strides[a] *= w.step;
  }
  copy_strided(in, offset, dims, strides, ctx.output(0));
  return Status::Ok();
}

}  // namespace

void register_slice_kernels(KernelRegistry& r) { r.add("Slice", slice); }

}  // namespace kiln
