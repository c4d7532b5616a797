// Schemas of Softmax, LogSoftmax and Hardmax: same shape in and out, one axis.
#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"
#include "ir/ops/softmax_axis.h"

namespace kiln {

namespace {

Status infer_softmax(InferContext& ctx) {
  const DataType t = ctx.input_type(0);
  if (!is_floating(t)) return invalid_argument("input must be a floating type, got {}", data_type_name(t));
  const Shape& x = ctx.input_shape(0);
  if (x.rank_known()) KILN_RETURN_IF_ERROR(softmax_axis(ctx.node(), x.rank()).status());
  ctx.set_output(0, t, x);
  return Status::Ok();
}

}  // namespace

void register_softmax_schemas(OpRegistry& r) {
  // No declared default for axis: it is 1 before opset 13 and -1 after (see softmax_axis).
  for (const char* op : {"Softmax", "LogSoftmax", "Hardmax"})
    r.add(OpSchema(op).inputs(1).attr("axis", AttrType::kInt).infer(infer_softmax));
}

}  // namespace kiln
