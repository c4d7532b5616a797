// Schemas of the linear quantization ops: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear.
#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

// The scale (and zero point) are scalars, or 1-D along `axis` of x (opset 13+).
Status check_quantization_params(InferContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  const Shape& scale = ctx.input_shape(1);
  if (!scale.rank_known()) return Status::Ok();
  if (scale.rank() > 1) return invalid_argument("the scale must be a scalar or 1-D, got {}", scale.to_string());
  const bool per_axis = scale.rank() == 1 && !(scale[0].is_static() && scale[0].value == 1);
  if (!per_axis || !x.rank_known()) return Status::Ok();
  if (ctx.opset() < 13) return invalid_argument("a 1-D scale needs opset 13 or later");
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(ctx.node().attr_int("axis", 1), x.rank()));
  if (scale[0].is_static() && x[axis].is_static() && scale[0].value != x[axis].value)
    return invalid_argument("the scale has {} values but axis {} of the input has size {}", scale[0].value, axis,
                            x[axis].value);
  if (ctx.has_input(2) && ctx.input_shape(2).rank_known() && !(ctx.input_shape(2) == scale) &&
      ctx.input_shape(2).is_static() && scale.is_static())
    return invalid_argument("the zero point's shape {} differs from the scale's {}", ctx.input_shape(2).to_string(),
                            scale.to_string());
  return Status::Ok();
}

}  // namespace

void register_quantize_schemas(OpRegistry& r) {
  r.add(OpSchema("QuantizeLinear").inputs(2, 3).attr("axis", Attribute::of_int(1)).infer([](InferContext& ctx) {
    KILN_RETURN_IF_ERROR(check_quantization_params(ctx));
    const DataType t = ctx.has_input(2) ? ctx.input_type(2) : DataType::kUInt8;
    if (t != DataType::kUInt8 && t != DataType::kInt8 && t != DataType::kFloat8E4M3)
      return invalid_argument("the zero point must be uint8, int8 or float8e4m3, got {}", data_type_name(t));
    ctx.set_output(0, t, ctx.input_shape(0));
    return Status::Ok();
  }));
  r.add(OpSchema("DequantizeLinear").inputs(2, 3).attr("axis", Attribute::of_int(1)).infer([](InferContext& ctx) {
    KILN_RETURN_IF_ERROR(check_quantization_params(ctx));
    ctx.set_output(0, ctx.input_type(1), ctx.input_shape(0));
    return Status::Ok();
  }));
  r.add(OpSchema("DynamicQuantizeLinear").inputs(1).outputs(3).infer([](InferContext& ctx) {
    ctx.set_output(0, DataType::kUInt8, ctx.input_shape(0));
    ctx.set_output(1, DataType::kFloat32, Shape(std::vector<Dim>{}));
    ctx.set_output(2, DataType::kUInt8, Shape(std::vector<Dim>{}));
    return Status::Ok();
  }));
}

}  // namespace kiln
