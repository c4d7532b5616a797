// Ops that walk along one axis in order: CumSum, ReverseSequence.
#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

Status infer_cum_sum(InferContext& ctx) {
  const DataType t = ctx.input_type(1);
  if (t != DataType::kInt32 && t != DataType::kInt64)
    return invalid_argument("input 'axis' must be int32 or int64, got {}", data_type_name(t));
  const Shape& in = ctx.input_shape(0);
  if (const Tensor* axis = ctx.input_value(1); axis != nullptr && in.rank_known()) {
    if (axis->numel() != 1) return invalid_argument("input 'axis' must hold one value, got {}", axis->numel());
    KILN_ASSIGN_OR_RETURN(auto a, tensor_to_int64s(*axis));
    auto n = normalize_axis(a[0], in.rank());
    if (!n.ok()) return invalid_argument("input 'axis': {}", n.status().message());
  }
  ctx.set_output(0, ctx.input_type(0), in);
  return Status::Ok();
}

Status infer_reverse_sequence(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const int64_t batch_axis = ctx.node().attr_int("batch_axis");
  const int64_t time_axis = ctx.node().attr_int("time_axis");
  if ((batch_axis != 0 && batch_axis != 1) || (time_axis != 0 && time_axis != 1) || batch_axis == time_axis)
    return invalid_argument("attributes 'batch_axis' ({}) and 'time_axis' ({}) must be 0 and 1 in some order",
                            batch_axis, time_axis);
  if (in.rank_known() && in.rank() < 2) return invalid_argument("input must have rank >= 2, got {}", in.to_string());
  if (ctx.input_type(1) != DataType::kInt64)
    return invalid_argument("input 'sequence_lens' must be int64, got {}", data_type_name(ctx.input_type(1)));
  const Shape& lens = ctx.input_shape(1);
  if (in.rank_known() && lens.rank_known()) {
    const Dim& batch = in[static_cast<int>(batch_axis)];
    if (lens.rank() != 1 || (lens[0].is_static() && batch.is_static() && lens[0].value != batch.value))
      return invalid_argument("input 'sequence_lens' {} must be 1-D with one entry per batch ({})", lens.to_string(),
                              in.to_string());
  }
  ctx.set_output(0, ctx.input_type(0), in);
  return Status::Ok();
}

}  // namespace

void register_scan_schemas(OpRegistry& r) {
  r.add(OpSchema("CumSum").inputs(2).attr("exclusive", Attribute::of_int(0)).attr("reverse", Attribute::of_int(0))
            .infer(infer_cum_sum));
  r.add(OpSchema("ReverseSequence").inputs(2).attr("batch_axis", Attribute::of_int(1))
            .attr("time_axis", Attribute::of_int(0)).infer(infer_reverse_sequence));
}

}  // namespace kiln
