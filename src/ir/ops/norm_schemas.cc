// Schemas of the normalization ops: BatchNormalization, InstanceNormalization,
// LayerNormalization, GroupNormalization, LRN, LpNormalization, MeanVarianceNormalization.
#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

Status check_float(const InferContext& ctx, int i, const char* name) {
  if (ctx.has_input(i) && !is_floating(ctx.input_type(i)))
    return invalid_argument("input {} must be a floating type, got {}", name, data_type_name(ctx.input_type(i)));
  return Status::Ok();
}

// A 1-D parameter with `size` elements (size may be unknown).
Status check_vector(const InferContext& ctx, int i, const char* name, const Dim& size) {
  KILN_RETURN_IF_ERROR(check_float(ctx, i, name));
  if (!ctx.has_input(i)) return Status::Ok();
  const Shape& s = ctx.input_shape(i);
  if (!s.rank_known()) return Status::Ok();
  if (s.rank() != 1) return invalid_argument("input {} must be 1-D, got shape {}", name, s.to_string());
  if (s[0].is_static() && size.is_static() && s[0].value != size.value)
    return invalid_argument("input {} has {} elements, expected {}", name, s[0].value, size.value);
  return Status::Ok();
}

// X is [N, C, ...]; returns C (unknown when the shape is).
Expected<Dim> channels_of(const InferContext& ctx, int min_rank) {
  KILN_RETURN_IF_ERROR(check_float(ctx, 0, "X"));
  const Shape& x = ctx.input_shape(0);
  if (!x.rank_known()) return Dim();
  if (x.rank() < min_rank) return invalid_argument("input X must have rank {} or more, got {}", min_rank, x.rank());
  return x[1];
}

Status infer_batch_norm(InferContext& ctx) {
  const Node& node = ctx.node();
  if (node.opset() < 9 && node.attr_int("spatial", 1) != 1)
    return unsupported("'spatial' = 0 (per-activation statistics) is not supported");
  KILN_ASSIGN_OR_RETURN(Dim c, channels_of(ctx, 2));
  const char* names[] = {"X", "scale", "B", "mean", "var"};
  for (int i = 1; i < 5; ++i) KILN_RETURN_IF_ERROR(check_vector(ctx, i, names[i], c));
  const bool training = node.opset() >= 14 && node.attr_int("training_mode", 0) != 0;
  int extra_outputs = 0;
  for (int i = 1; i < ctx.num_outputs(); ++i) extra_outputs += node.output(i) != nullptr ? 1 : 0;
  if (extra_outputs > 0 && node.opset() < 14)
    return unsupported("the training outputs of BatchNormalization before opset 14 are not supported");
  if (extra_outputs > 0 && !training)
    return invalid_argument("running_mean and running_var are outputs only when 'training_mode' is 1");
  if (node.opset() >= 14 && ctx.num_outputs() > 3) return invalid_argument("expects at most 3 outputs from opset 14 on");
  ctx.set_output(0, ctx.input_type(0), ctx.input_shape(0));
  for (int i = 1; i < ctx.num_outputs(); ++i) ctx.set_output(i, ctx.input_type(3), Shape({c}));
  return Status::Ok();
}

Status infer_instance_norm(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Dim c, channels_of(ctx, 3));
  KILN_RETURN_IF_ERROR(check_vector(ctx, 1, "scale", c));
  KILN_RETURN_IF_ERROR(check_vector(ctx, 2, "B", c));
  ctx.set_output(0, ctx.input_type(0), ctx.input_shape(0));
  return Status::Ok();
}

// stash_type is a TensorProto element type: the precision of Mean and InvStdDev.
Expected<DataType> stash_type(const Node& node) {
  switch (node.attr_int("stash_type", 1)) {
    case 1: return DataType::kFloat32;
    case 10: return DataType::kFloat16;
    case 11: return DataType::kFloat64;
    case 16: return DataType::kBFloat16;
    default: return invalid_argument("'stash_type' {} is not a floating element type", node.attr_int("stash_type", 1));
  }
}

Status infer_layer_norm(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_float(ctx, 0, "X"));
  KILN_RETURN_IF_ERROR(check_float(ctx, 1, "Scale"));
  KILN_RETURN_IF_ERROR(check_float(ctx, 2, "B"));
  KILN_ASSIGN_OR_RETURN(DataType stash, stash_type(ctx.node()));
  const Shape& x = ctx.input_shape(0);
  ctx.set_output(0, ctx.input_type(0), x);
  if (!x.rank_known()) {
    for (int i = 1; i < ctx.num_outputs(); ++i) ctx.set_output(i, stash, Shape::unknown());
    return Status::Ok();
  }
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(ctx.node().attr_int("axis", -1), x.rank()));
  // Scale and B broadcast (numpy-style) to the normalized dims X[axis:].
  const Shape normalized(std::vector<Dim>(x.dims().begin() + axis, x.dims().end()));
  for (int i = 1; i <= 2; ++i) {
    if (!ctx.has_input(i)) continue;
    KILN_ASSIGN_OR_RETURN(Shape b, broadcast_shapes({normalized, ctx.input_shape(i)}));
    if (b.rank_known() && b.rank() != normalized.rank())
      return invalid_argument("input {} of shape {} does not broadcast to the normalized shape {}", i == 1 ? "Scale" : "B",
                              ctx.input_shape(i).to_string(), normalized.to_string());
  }
  std::vector<Dim> stats = x.dims();
  for (int i = axis; i < x.rank(); ++i) stats[static_cast<size_t>(i)] = Dim(1);
  for (int i = 1; i < ctx.num_outputs(); ++i) ctx.set_output(i, stash, Shape(stats));
  return Status::Ok();
}

Status infer_group_norm(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Dim c, channels_of(ctx, 2));
  const int64_t groups = ctx.node().attr_int("num_groups");
  if (groups < 1) return invalid_argument("'num_groups' must be positive, got {}", groups);
  if (c.is_static() && c.value % groups != 0)
    return invalid_argument("{} channels do not split into 'num_groups' = {} groups", c.value, groups);
  // scale and bias hold one value per group (opset 18) or per channel (opset 21).
  for (int i = 1; i <= 2; ++i) {
    const char* name = i == 1 ? "scale" : "bias";
    KILN_RETURN_IF_ERROR(check_vector(ctx, i, name, Dim()));
    const Shape& s = ctx.input_shape(i);
    if (s.rank_known() && s[0].is_static() && s[0].value != groups && !(c.is_static() && s[0].value == c.value))
      return invalid_argument("input {} has {} elements, expected num_groups ({}) or channels", name, s[0].value, groups);
  }
  ctx.set_output(0, ctx.input_type(0), ctx.input_shape(0));
  return Status::Ok();
}

Status infer_lrn(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(channels_of(ctx, 2).status());
  if (ctx.node().attr_int("size") < 1) return invalid_argument("'size' must be positive, got {}", ctx.node().attr_int("size"));
  ctx.set_output(0, ctx.input_type(0), ctx.input_shape(0));
  return Status::Ok();
}

Status infer_lp_norm(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_float(ctx, 0, "input"));
  const int64_t p = ctx.node().attr_int("p", 2);
  if (p != 1 && p != 2) return invalid_argument("'p' must be 1 or 2, got {}", p);
  const Shape& x = ctx.input_shape(0);
  if (x.rank_known()) KILN_RETURN_IF_ERROR(normalize_axis(ctx.node().attr_int("axis", -1), x.rank()).status());
  ctx.set_output(0, ctx.input_type(0), x);
  return Status::Ok();
}

Status infer_mvn(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_float(ctx, 0, "X"));
  const Shape& x = ctx.input_shape(0);
  if (x.rank_known())
    for (int64_t a : ctx.node().attr_ints("axes")) KILN_RETURN_IF_ERROR(normalize_axis(a, x.rank()).status());
  ctx.set_output(0, ctx.input_type(0), x);
  return Status::Ok();
}

}  // namespace

void register_norm_schemas(OpRegistry& r) {
  r.add(OpSchema("BatchNormalization")
            .inputs(5)
            .outputs(1, 5)  // 5 before opset 14 (unsupported training outputs), 3 after
            .attr("epsilon", Attribute::of_float(1e-5f))
            .attr("momentum", Attribute::of_float(0.9f))
            .attr("spatial", Attribute::of_int(1))  // opsets 7-8
            .attr("training_mode", Attribute::of_int(0))
            .infer(infer_batch_norm));
  r.add(OpSchema("InstanceNormalization")
            .inputs(3)
            .attr("epsilon", Attribute::of_float(1e-5f))
            .infer(infer_instance_norm));
  r.add(OpSchema("LayerNormalization")
            .inputs(2, 3)
            .outputs(1, 3)
            .attr("axis", Attribute::of_int(-1))
            .attr("epsilon", Attribute::of_float(1e-5f))
            .attr("stash_type", Attribute::of_int(1))
            .infer(infer_layer_norm));
  r.add(OpSchema("GroupNormalization")
            .inputs(3)
            .attr("epsilon", Attribute::of_float(1e-5f))
            .required_attr("num_groups", AttrType::kInt)
            .attr("stash_type", Attribute::of_int(1))
            .infer(infer_group_norm));
  r.add(OpSchema("LRN")
            .inputs(1)
            .attr("alpha", Attribute::of_float(1e-4f))
            .attr("beta", Attribute::of_float(0.75f))
            .attr("bias", Attribute::of_float(1.f))
            .required_attr("size", AttrType::kInt)
            .infer(infer_lrn));
  r.add(OpSchema("LpNormalization")
            .inputs(1)
            .attr("axis", Attribute::of_int(-1))
            .attr("p", Attribute::of_int(2))
            .infer(infer_lp_norm));
  r.add(OpSchema("MeanVarianceNormalization")
            .inputs(1)
            .attr("axes", Attribute::of_ints({0, 2, 3}))
            .infer(infer_mvn));
}

}  // namespace kiln
