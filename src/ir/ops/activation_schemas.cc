// Schemas of the activation ops (Relu and its relatives, Clip, PRelu): elementwise functions,
// most parameterized by float attributes.
#include <limits>

#include "ir/ops/elementwise_infer.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

// Clip takes its bounds as attributes before opset 11 and as optional scalar inputs since.
Status infer_clip(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_input_type(ctx, 0, TypeSet::kNumeric, "input"));
  if (ctx.opset() < 11 && ctx.input_type(0) != DataType::kUndefined &&
      !is_floating(ctx.input_type(0)))
    return invalid_argument("input 0 ('input') is {}, expected a floating type before opset 11",
                            data_type_name(ctx.input_type(0)));
  for (int i = 1; i <= 2; ++i) {
    if (!ctx.has_input(i)) continue;
    if (ctx.opset() < 11) return invalid_argument("takes its bounds as attributes before opset 11, got input {}", i);
    KILN_RETURN_IF_ERROR(check_same_type(ctx, 0, i));
    const Shape& s = ctx.input_shape(i);
    const bool one_element = s.is_static() && checked_numel(*s.static_dims()) == 1;
    if (s.is_static() && !one_element)
      return invalid_argument("input {} ('{}') must be a scalar, got shape {}", i, i == 1 ? "min" : "max",
                              s.to_string());
  }
  ctx.set_output(0, ctx.input_type(0), ctx.input_shape(0));
  return Status::Ok();
}

// The slope broadcasts to X's shape (unidirectionally): the output is shaped like X.
Status infer_prelu(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_input_type(ctx, 0, TypeSet::kNumeric, "X"));
  KILN_RETURN_IF_ERROR(check_same_type(ctx, 0, 1));
  KILN_ASSIGN_OR_RETURN(Shape shape, broadcast_shapes({ctx.input_shape(0), ctx.input_shape(1)}));
  const Shape& x = ctx.input_shape(0);
  if (x.is_static() && shape.is_static() && !(shape == x))
    return invalid_argument("slope of shape {} does not broadcast to X of shape {}",
                            ctx.input_shape(1).to_string(), x.to_string());
  ctx.set_output(0, ctx.input_type(0), x);
  return Status::Ok();
}

Status infer_gelu(InferContext& ctx) {
  const std::string approximate = ctx.node().attr_string("approximate");
  if (approximate != "none" && approximate != "tanh")
    return invalid_argument("attribute 'approximate' must be 'none' or 'tanh', got '{}'", approximate);
  return infer_unary(TypeSet::kFloat)(ctx);
}

}  // namespace

void register_activation_schemas(OpRegistry& r) {
  for (const char* op : {"Sigmoid", "Softplus", "Softsign", "HardSwish", "Mish"})
    r.add(OpSchema(op).inputs(1).outputs(1).infer(infer_unary(TypeSet::kFloat)));
  r.add(OpSchema("Relu").inputs(1).outputs(1).infer(infer_unary(TypeSet::kSignedNumeric)));
  r.add(OpSchema("Elu").inputs(1).outputs(1).attr("alpha", Attribute::of_float(1.f)).infer(infer_unary(TypeSet::kFloat)));
  r.add(OpSchema("Celu").inputs(1).outputs(1).attr("alpha", Attribute::of_float(1.f)).infer(infer_unary(TypeSet::kFloat)));
  r.add(OpSchema("Selu")
            .inputs(1)
            .outputs(1)
            .attr("alpha", Attribute::of_float(1.67326319217681884765625f))
            .attr("gamma", Attribute::of_float(1.05070102214813232421875f))
            .infer(infer_unary(TypeSet::kFloat)));
  r.add(OpSchema("LeakyRelu").inputs(1).outputs(1).attr("alpha", Attribute::of_float(0.01f)).infer(infer_unary(TypeSet::kFloat)));
  r.add(OpSchema("ThresholdedRelu")
            .inputs(1)
            .outputs(1)
            .attr("alpha", Attribute::of_float(1.f))
            .infer(infer_unary(TypeSet::kFloat)));
  r.add(OpSchema("HardSigmoid")
            .inputs(1)
            .outputs(1)
            .attr("alpha", Attribute::of_float(0.2f))
            .attr("beta", Attribute::of_float(0.5f))
            .infer(infer_unary(TypeSet::kFloat)));
  r.add(OpSchema("Shrink")
            .inputs(1)
            .outputs(1)
            .attr("bias", Attribute::of_float(0.f))
            .attr("lambd", Attribute::of_float(0.5f))
            .infer(infer_unary(TypeSet::kNumeric)));
  // Gelu is ONNX opset 20, past Kiln's 7..17 range; exporters for newer opsets emit it, and it
  // costs one entry.
  r.add(OpSchema("Gelu").inputs(1).outputs(1).attr("approximate", Attribute::of_string("none")).infer(infer_gelu));
  r.add(OpSchema("Clip")
            .inputs(1, 3)
            .outputs(1)
            .attr("min", Attribute::of_float(std::numeric_limits<float>::lowest()))
            .attr("max", Attribute::of_float(std::numeric_limits<float>::max()))
            .infer(infer_clip));
  r.add(OpSchema("PRelu").inputs(2).outputs(1).infer(infer_prelu));
}

}  // namespace kiln
