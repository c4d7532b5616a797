// Ops that pick elements by value along an axis: TopK, ArgMax, ArgMin.
#include "ir/op_schema.h"
#include "ir/ops/attr_or_input.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

Status infer_top_k(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  ctx.set_output(0, ctx.input_type(0), in.rank_known() ? Shape::unknown_dims(in.rank()) : Shape::unknown());
  ctx.set_output(1, DataType::kInt64, in.rank_known() ? Shape::unknown_dims(in.rank()) : Shape::unknown());
  KILN_ASSIGN_OR_RETURN(IntList k, int_list_attr_or_input(ctx.node(), "k", 10, ctx.has_input(1), ctx.input_value(1)));
  if (!k.given) return invalid_argument("k is required");
  if (!in.rank_known()) return Status::Ok();
  auto axis = normalize_axis(ctx.node().attr_int("axis"), in.rank());
  if (!axis.ok()) return invalid_argument("attribute 'axis': {}", axis.status().message());
  Shape out = in;
  out[*axis] = Dim();
  if (k.known) {
    if (k.values.size() != 1) return invalid_argument("k must be a single value, got {} values", k.values.size());
    const int64_t kv = k.values[0];
    if (kv < 0) return invalid_argument("k must not be negative, got {}", kv);
    if (in[*axis].is_static() && kv > in[*axis].value)
      return invalid_argument("k = {} is larger than axis {} of size {}", kv, *axis, in[*axis].value);
    out[*axis] = Dim(kv);
  }
  ctx.set_output(0, ctx.input_type(0), out);
  ctx.set_output(1, DataType::kInt64, std::move(out));
  return Status::Ok();
}

Status infer_arg_extreme(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const bool keepdims = ctx.node().attr_int("keepdims") != 0;
  if (!in.rank_known()) {
    ctx.set_output(0, DataType::kInt64, Shape::unknown());
    return Status::Ok();
  }
  auto axis = normalize_axis(ctx.node().attr_int("axis"), in.rank());
  if (!axis.ok()) return invalid_argument("attribute 'axis': {}", axis.status().message());
  std::vector<Dim> out = in.dims();
  if (keepdims) out[static_cast<size_t>(*axis)] = Dim(1);
  else out.erase(out.begin() + *axis);
  ctx.set_output(0, DataType::kInt64, Shape(std::move(out)));
  return Status::Ok();
}

OpSchema arg_extreme_schema(const char* op) {
  return OpSchema(op).inputs(1).attr("axis", Attribute::of_int(0)).attr("keepdims", Attribute::of_int(1))
      .attr("select_last_index", Attribute::of_int(0)).infer(infer_arg_extreme);
}

}  // namespace

void register_topk_argmax_schemas(OpRegistry& r) {
  r.add(OpSchema("TopK").inputs(1, 2).outputs(2).attr("k", AttrType::kInt).attr("axis", Attribute::of_int(-1))
            .attr("largest", Attribute::of_int(1)).attr("sorted", Attribute::of_int(1)).infer(infer_top_k));
  r.add(arg_extreme_schema("ArgMax"));
  r.add(arg_extreme_schema("ArgMin"));
}

}  // namespace kiln
