// Schemas of the ops that convert or forward a tensor unchanged in shape: Cast, CastLike, Identity.
#include "ir/ops/elementwise_infer.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

Status infer_cast(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_input_type(ctx, 0, TypeSet::kAll, "input"));
  Expected<DataType> to = data_type_from_onnx_number(ctx.node().attr_int("to"));
  if (!to.ok()) return with_context(to.status(), "attribute 'to'");
  ctx.set_output(0, *to, ctx.input_shape(0));
  return Status::Ok();
}

Status infer_cast_like(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_input_type(ctx, 0, TypeSet::kAll, "input"));
  KILN_RETURN_IF_ERROR(check_input_type(ctx, 1, TypeSet::kAll, "target_type"));
  ctx.set_output(0, ctx.input_type(1), ctx.input_shape(0));
  return Status::Ok();
}

}  // namespace

void register_cast_schemas(OpRegistry& r) {
  r.add(OpSchema("Cast").inputs(1).outputs(1).required_attr("to", AttrType::kInt).infer(infer_cast));
  r.add(OpSchema("CastLike").inputs(2).outputs(1).infer(infer_cast_like));
  r.add(OpSchema("Identity").inputs(1).outputs(1).infer(infer_unary(TypeSet::kAll)));
}

}  // namespace kiln
