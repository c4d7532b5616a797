// Slice: strided windows along some axes.
#include "ir/op_schema.h"
#include "ir/ops/slice_window.h"

namespace kiln {

namespace {

Status infer_slice(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  ctx.set_output(0, ctx.input_type(0), in.rank_known() ? Shape::unknown_dims(in.rank()) : Shape::unknown());
  if (!in.rank_known()) return Status::Ok();
  std::vector<const Tensor*> args_inputs;
  for (int i = 1; i <= 4; ++i) {
    if (ctx.opset() >= 10 && ctx.has_input(i) && ctx.input_value(i) == nullptr) return Status::Ok();
    args_inputs.push_back(ctx.input_value(i));
  }
  KILN_ASSIGN_OR_RETURN(SliceArgs args, read_slice_args(ctx.node(), args_inputs, in.rank()));
  Shape out = in;
  for (size_t i = 0; i < args.axes.size(); ++i) {
    const Dim& d = in[args.axes[i]];
    out[args.axes[i]] = d.is_static() ? Dim(clamp_slice(args.starts[i], args.ends[i], args.steps[i], d.value).count) : Dim();
  }
  ctx.set_output(0, ctx.input_type(0), std::move(out));
  return Status::Ok();
}

}  // namespace

void register_slice_schemas(OpRegistry& r) {
  r.add(OpSchema("Slice").inputs(1, 5).attr("starts", AttrType::kInts).attr("ends", AttrType::kInts)
            .attr("axes", AttrType::kInts).infer(infer_slice));
}

}  // namespace kiln
