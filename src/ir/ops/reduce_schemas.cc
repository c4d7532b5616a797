// Schemas of the Reduce* ops. They share attributes and inference; only the kernels differ.
#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"
#include "ir/ops/reduce_axes.h"

namespace kiln {

namespace {

Status infer_reduce(InferContext& ctx) {
  const DataType t = ctx.input_type(0);
  if (!is_floating(t) && !is_integer(t))
    return invalid_argument("input data must be a numeric type, got {}", data_type_name(t));
  if (ctx.has_input(1) && !is_integer(ctx.input_type(1)))
    return invalid_argument("input axes must be int64, got {}", data_type_name(ctx.input_type(1)));
  const Shape& x = ctx.input_shape(0);
  if (!x.rank_known()) {
    ctx.set_output(0, t, Shape::unknown());
    return Status::Ok();
  }
  const bool keepdims = ctx.node().attr_int("keepdims", 1) != 0;
  KILN_ASSIGN_OR_RETURN(ReduceAxes axes, resolve_reduce_axes(ctx.node(), x.rank(), ctx.has_input(1), ctx.input_value(1)));
  if (!axes.known) {
    ctx.set_output(0, t, keepdims ? Shape::unknown_dims(x.rank()) : Shape::unknown());
    return Status::Ok();
  }
  std::vector<Dim> out;
  for (int i = 0; i < x.rank(); ++i) {
    if (!axes.reduced[static_cast<size_t>(i)]) out.push_back(x[i]);
    else if (keepdims) out.push_back(Dim(1));
  }
  ctx.set_output(0, t, Shape(out));
  return Status::Ok();
}

}  // namespace

void register_reduce_schemas(OpRegistry& r) {
  for (const char* op : {"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMin",
                         "ReduceMean", "ReduceProd", "ReduceSum", "ReduceSumSquare"}) {
    // The axes input (ReduceSum from opset 13, the others from 18) and noop_with_empty_axes go
    // together; resolve_reduce_axes checks that a node uses the form of its opset.
    r.add(OpSchema(op)
              .inputs(1, 2)
              .attr("axes", AttrType::kInts)
              .attr("keepdims", Attribute::of_int(1))
              .attr("noop_with_empty_axes", Attribute::of_int(0))
              .infer(infer_reduce));
  }
}

}  // namespace kiln
