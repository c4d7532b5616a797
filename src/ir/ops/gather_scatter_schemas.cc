// Indexed reads and writes: Gather, GatherElements, GatherND, Scatter, ScatterElements, ScatterND.
#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

Status check_index_type(const InferContext& ctx, int i, const char* name) {
  const DataType t = ctx.input_type(i);
  if (t != DataType::kInt32 && t != DataType::kInt64)
    return invalid_argument("input '{}' must be int32 or int64, got {}", name, data_type_name(t));
  return Status::Ok();
}

Expected<int> axis_of(const InferContext& ctx, int rank) {
  auto a = normalize_axis(ctx.node().attr_int("axis"), rank);
  if (!a.ok()) return invalid_argument("attribute 'axis': {}", a.status().message());
  return a;
}

Status infer_gather(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_index_type(ctx, 1, "indices"));
  const Shape& data = ctx.input_shape(0);
  const Shape& indices = ctx.input_shape(1);
  ctx.set_output(0, ctx.input_type(0), Shape::unknown());
  if (!data.rank_known()) return Status::Ok();
  if (data.rank() == 0) return invalid_argument("input 'data' must have rank >= 1");
  KILN_ASSIGN_OR_RETURN(int axis, axis_of(ctx, data.rank()));
  if (!indices.rank_known()) return Status::Ok();
  std::vector<Dim> out(data.dims().begin(), data.dims().begin() + axis);
  out.insert(out.end(), indices.dims().begin(), indices.dims().end());
  out.insert(out.end(), data.dims().begin() + axis + 1, data.dims().end());
  ctx.set_output(0, ctx.input_type(0), Shape(std::move(out)));
  return Status::Ok();
}

// GatherElements and ScatterElements index `data` with a same-rank `indices` whose dims off the
// axis may not exceed data's (they are used as coordinates into data directly).
Status check_elementwise_indices(const InferContext& ctx, const Shape& data, const Shape& indices) {
  if (!data.rank_known() || !indices.rank_known()) return Status::Ok();
  if (data.rank() != indices.rank())
    return invalid_argument("input 'indices' has rank {} but 'data' has rank {}", indices.rank(), data.rank());
  if (data.rank() == 0) return invalid_argument("input 'data' must have rank >= 1");
  KILN_ASSIGN_OR_RETURN(int axis, axis_of(ctx, data.rank()));
  for (int d = 0; d < data.rank(); ++d)
    if (d != axis && data[d].is_static() && indices[d].is_static() && indices[d].value > data[d].value)
      return invalid_argument("input 'indices' has dim {} = {}, larger than 'data' ({})", d, indices[d].value,
                              data[d].value);
  return Status::Ok();
}

Status infer_gather_elements(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_index_type(ctx, 1, "indices"));
  KILN_RETURN_IF_ERROR(check_elementwise_indices(ctx, ctx.input_shape(0), ctx.input_shape(1)));
  ctx.set_output(0, ctx.input_type(0), ctx.input_shape(1));
  return Status::Ok();
}

Status infer_gather_nd(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_index_type(ctx, 1, "indices"));
  const Shape& data = ctx.input_shape(0);
  const Shape& indices = ctx.input_shape(1);
  const int64_t b = ctx.node().attr_int("batch_dims");
  ctx.set_output(0, ctx.input_type(0), Shape::unknown());
  if (!data.rank_known() || !indices.rank_known()) return Status::Ok();
  const int r = data.rank(), q = indices.rank();
  if (q < 1 || r < 1) return invalid_argument("inputs 'data' and 'indices' must have rank >= 1");
  if (b < 0 || b >= std::min(q, r))
    return invalid_argument("attribute 'batch_dims' {} must be in [0, min(rank(data), rank(indices)))", b);
  const Dim& k = indices[q - 1];
  if (!k.is_static()) return Status::Ok();
  if (k.value < 1 || k.value > r - b)
    return invalid_argument("the last dim of 'indices' ({}) must be in [1, {}]", k.value, r - b);
  std::vector<Dim> out(indices.dims().begin(), indices.dims().end() - 1);
  out.insert(out.end(), data.dims().begin() + b + k.value, data.dims().end());
  ctx.set_output(0, ctx.input_type(0), Shape(std::move(out)));
  return Status::Ok();
}

Status check_reduction(const InferContext& ctx) {
  const std::string red = ctx.node().attr_string("reduction", "none");
  if (red != "none" && red != "add" && red != "mul" && red != "max" && red != "min")
    return invalid_argument("attribute 'reduction' must be none, add, mul, max or min, got '{}'", red);
  return Status::Ok();
}

Status infer_scatter_elements(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_index_type(ctx, 1, "indices"));
  KILN_RETURN_IF_ERROR(check_reduction(ctx));
  if (ctx.input_type(2) != ctx.input_type(0)) return invalid_argument("inputs 'updates' and 'data' differ in type");
  const Shape& indices = ctx.input_shape(1);
  const Shape& updates = ctx.input_shape(2);
  KILN_RETURN_IF_ERROR(check_elementwise_indices(ctx, ctx.input_shape(0), indices));
  if (indices.is_static() && updates.is_static() && !(indices == updates))
    return invalid_argument("input 'updates' {} must have the shape of 'indices' {}", updates.to_string(),
                            indices.to_string());
  ctx.set_output(0, ctx.input_type(0), ctx.input_shape(0));
  return Status::Ok();
}

Status infer_scatter_nd(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_index_type(ctx, 1, "indices"));
  KILN_RETURN_IF_ERROR(check_reduction(ctx));
  if (ctx.input_type(2) != ctx.input_type(0)) return invalid_argument("inputs 'updates' and 'data' differ in type");
  const Shape& data = ctx.input_shape(0);
  const Shape& indices = ctx.input_shape(1);
  const Shape& updates = ctx.input_shape(2);
  ctx.set_output(0, ctx.input_type(0), data);
  if (!data.is_static() || !indices.is_static() || !updates.is_static()) return Status::Ok();
  const int r = data.rank(), q = indices.rank();
  if (q < 1 || r < 1) return invalid_argument("inputs 'data' and 'indices' must have rank >= 1");
  const int64_t k = indices[q - 1].value;
  if (k < 1 || k > r) return invalid_argument("the last dim of 'indices' ({}) must be in [1, {}]", k, r);
  std::vector<Dim> expected(indices.dims().begin(), indices.dims().end() - 1);
  expected.insert(expected.end(), data.dims().begin() + k, data.dims().end());
  if (!(Shape(expected) == updates))
    return invalid_argument("input 'updates' has shape {}, expected {}", updates.to_string(), Shape(expected).to_string());
  return Status::Ok();
}

}  // namespace

void register_gather_scatter_schemas(OpRegistry& r) {
  r.add(OpSchema("Gather").inputs(2).attr("axis", Attribute::of_int(0)).infer(infer_gather));
  r.add(OpSchema("GatherElements").inputs(2).attr("axis", Attribute::of_int(0)).infer(infer_gather_elements));
  r.add(OpSchema("GatherND").inputs(2).attr("batch_dims", Attribute::of_int(0)).infer(infer_gather_nd));
  r.add(OpSchema("ScatterElements").inputs(3).attr("axis", Attribute::of_int(0))
            .attr("reduction", Attribute::of_string("none")).infer(infer_scatter_elements));
  // Scatter is ScatterElements' deprecated name (opsets 9-10), without reduction.
  r.add(OpSchema("Scatter").inputs(3).attr("axis", Attribute::of_int(0)).infer(infer_scatter_elements));
  r.add(OpSchema("ScatterND").inputs(3).attr("reduction", Attribute::of_string("none")).infer(infer_scatter_nd));
}

}  // namespace kiln
