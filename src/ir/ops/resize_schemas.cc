// Resize and its deprecated predecessor Upsample.
#include "ir/op_schema.h"
#include "ir/ops/resize_params.h"

namespace kiln {

namespace {

Status infer_resize(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  ctx.set_output(0, ctx.input_type(0), in.rank_known() ? Shape::unknown_dims(in.rank()) : Shape::unknown());
  if (!in.rank_known()) return Status::Ok();
  const ResizeInputs which = resize_inputs(ctx.node());
  std::vector<const Tensor*> values;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.has_input(i) && ctx.input_value(i) == nullptr && (i == which.scales || i == which.sizes || i == which.roi))
      return Status::Ok();  // sized by values known only at run time
    values.push_back(ctx.input_value(i));
  }
  KILN_ASSIGN_OR_RETURN(ResizeParams params, read_resize_params(ctx.node(), values, in.rank()));
  ctx.set_output(0, ctx.input_type(0), resize_output_shape(params, in));
  return Status::Ok();
}

}  // namespace

void register_resize_schemas(OpRegistry& r) {
  r.add(OpSchema("Resize").inputs(1, 4).attr("mode", Attribute::of_string("nearest"))
            .attr("coordinate_transformation_mode", Attribute::of_string("half_pixel"))
            .attr("cubic_coeff_a", Attribute::of_float(-0.75f)).attr("exclude_outside", Attribute::of_int(0))
            .attr("extrapolation_value", Attribute::of_float(0.f))
            .attr("nearest_mode", Attribute::of_string("round_prefer_floor")).infer(infer_resize));
  r.add(OpSchema("Upsample").inputs(1, 2).attr("mode", Attribute::of_string("nearest"))
            .attr("scales", AttrType::kFloats).infer(infer_resize));
}

}  // namespace kiln
