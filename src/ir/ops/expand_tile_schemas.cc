// Repeating data to a larger shape: Expand (broadcast to a shape) and Tile (repeat whole copies).
#include "ir/op_schema.h"
#include "ir/ops/dim_math.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

Status infer_expand(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const Tensor* shape = ctx.input_value(1);
  ctx.set_output(0, ctx.input_type(0), Shape::unknown());
  if (shape == nullptr) {
    const int64_t n = length_of_1d(ctx.input_shape(1));
    if (n >= 0 && in.rank_known())
      ctx.set_output(0, ctx.input_type(0), Shape::unknown_dims(std::max(in.rank(), static_cast<int>(n))));
    return Status::Ok();
  }
  if (shape->rank() != 1) return invalid_argument("input 'shape' must be 1-D, got rank {}", shape->rank());
  KILN_ASSIGN_OR_RETURN(auto dims, tensor_to_int64s(*shape));
  for (int64_t d : dims)
    if (d < 0) return invalid_argument("input 'shape' has the negative dim {}", d);
  auto out = broadcast_shapes({in, Shape::from_dims(dims)});
  if (!out.ok()) return invalid_argument("input 'shape': {}", out.status().message());
  ctx.set_output(0, ctx.input_type(0), std::move(*out));
  return Status::Ok();
}

Status infer_tile(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const Tensor* repeats = ctx.input_value(1);
  ctx.set_output(0, ctx.input_type(0), in.rank_known() ? Shape::unknown_dims(in.rank()) : Shape::unknown());
  if (repeats == nullptr || !in.rank_known()) return Status::Ok();
  KILN_ASSIGN_OR_RETURN(auto reps, tensor_to_int64s(*repeats));
  if (repeats->rank() != 1 || static_cast<int>(reps.size()) != in.rank())
    return invalid_argument("input 'repeats' must be 1-D with {} entries (the input's rank), got {}", in.rank(),
                            dims_to_string(repeats->dims()));
  Shape out = in;
  for (int i = 0; i < in.rank(); ++i) {
    if (reps[static_cast<size_t>(i)] < 0) return invalid_argument("input 'repeats' has the negative value {}", reps[static_cast<size_t>(i)]);
    out[i] = in[i].is_static() ? Dim(in[i].value * reps[static_cast<size_t>(i)]) : Dim();
  }
  ctx.set_output(0, ctx.input_type(0), std::move(out));
  return Status::Ok();
}

}  // namespace

void register_expand_tile_schemas(OpRegistry& r) {
  r.add(OpSchema("Expand").inputs(2).infer(infer_expand));
  r.add(OpSchema("Tile").inputs(2).infer(infer_tile));
}

}  // namespace kiln
