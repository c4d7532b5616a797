// Ops that keep or zero elements by position without moving them: Trilu, and Dropout, which at
// inference keeps everything.
#include "core/error.h"
#include "ir/op_schema.h"

namespace kiln {

namespace {

Status infer_trilu(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  if (in.rank_known() && in.rank() < 2) return invalid_argument("input must have rank >= 2, got {}", in.to_string());
  if (ctx.has_input(1) && ctx.input_type(1) != DataType::kInt64)
    return invalid_argument("input 'k' must be int64, got {}", data_type_name(ctx.input_type(1)));
  ctx.set_output(0, ctx.input_type(0), in);
  return Status::Ok();
}

Status infer_dropout(InferContext& ctx) {
  const DataType t = ctx.input_type(0);
  if (!is_floating(t)) return invalid_argument("input must be a floating type, got {}", data_type_name(t));
  ctx.set_output(0, t, ctx.input_shape(0));
  // The mask was the data's type before opset 10 and bool since.
  ctx.set_output(1, ctx.opset() < 10 ? t : DataType::kBool, ctx.input_shape(0));
  return Status::Ok();
}

}  // namespace

void register_mask_schemas(OpRegistry& r) {
  r.add(OpSchema("Trilu").inputs(1, 2).attr("upper", Attribute::of_int(1)).infer(infer_trilu));
  r.add(OpSchema("Dropout").inputs(1, 3).outputs(1, 2).attr("ratio", Attribute::of_float(0.5f))
            .attr("seed", AttrType::kInt).infer(infer_dropout));
}

}  // namespace kiln
