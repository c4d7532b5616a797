// Ops whose output size depends on the data: NonZero, Compress, Unique. Inference fixes ranks and
// types; the kernels set the outputs once they have counted.
#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

Status infer_non_zero(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  ctx.set_output(0, DataType::kInt64, Shape({in.rank_known() ? Dim(in.rank()) : Dim(), Dim()}));
  return Status::Ok();
}

Status infer_compress(InferContext& ctx) {
  if (ctx.input_type(1) != DataType::kBool)
    return invalid_argument("input 'condition' must be bool, got {}", data_type_name(ctx.input_type(1)));
  const Shape& in = ctx.input_shape(0);
  const Attribute* axis = ctx.node().attr("axis");
  if (axis == nullptr) {
    ctx.set_output(0, ctx.input_type(0), Shape::unknown_dims(1));
    return Status::Ok();
  }
  if (!in.rank_known()) {
    ctx.set_output(0, ctx.input_type(0), Shape::unknown());
    return Status::Ok();
  }
  auto a = normalize_axis(axis->i, in.rank());
  if (!a.ok()) return invalid_argument("attribute 'axis': {}", a.status().message());
  Shape out = in;
  out[*a] = Dim();
  ctx.set_output(0, ctx.input_type(0), std::move(out));
  return Status::Ok();
}

Status infer_unique(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const Attribute* axis = ctx.node().attr("axis");
  Shape y = Shape::unknown_dims(1);
  Dim inverse_len;  // one entry per input element, or per slice along the axis
  if (axis != nullptr) {
    y = Shape::unknown();
    if (in.rank_known()) {
      auto a = normalize_axis(axis->i, in.rank());
      if (!a.ok()) return invalid_argument("attribute 'axis': {}", a.status().message());
      y = in;
      y[*a] = Dim();
      inverse_len = in[*a];
    }
  } else if (in.is_static()) {
    inverse_len = Dim(checked_numel(*in.static_dims()));
  }
  ctx.set_output(0, ctx.input_type(0), y);
  ctx.set_output(1, DataType::kInt64, Shape::unknown_dims(1));
  ctx.set_output(2, DataType::kInt64, Shape({inverse_len}));
  ctx.set_output(3, DataType::kInt64, Shape::unknown_dims(1));
  return Status::Ok();
}

}  // namespace

void register_selection_schemas(OpRegistry& r) {
  r.add(OpSchema("NonZero").inputs(1).infer(infer_non_zero));
  r.add(OpSchema("Compress").inputs(2).attr("axis", AttrType::kInt).infer(infer_compress));
  r.add(OpSchema("Unique").inputs(1).outputs(1, 4).attr("axis", AttrType::kInt).attr("sorted", Attribute::of_int(1))
            .infer(infer_unique));
}

}  // namespace kiln
