// Schemas of the broadcasting ops: arithmetic, comparisons, logic, Where, and the variadic
// Max/Min/Sum/Mean. All use numpy-style multidirectional broadcasting.
#include <limits>

#include "ir/ops/elementwise_infer.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

constexpr int kUnboundedInputs = std::numeric_limits<int>::max();

// Pow's exponent may have another type than its base; the output has the base's type.
Status infer_pow(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_input_type(ctx, 0, TypeSet::kNumeric, "X"));
  KILN_RETURN_IF_ERROR(check_input_type(ctx, 1, TypeSet::kNumeric, "Y"));
  KILN_ASSIGN_OR_RETURN(Shape shape, broadcast_shapes({ctx.input_shape(0), ctx.input_shape(1)}));
  ctx.set_output(0, ctx.input_type(0), std::move(shape));
  return Status::Ok();
}

Status infer_mod(InferContext& ctx) {
  const int64_t fmod = ctx.node().attr_int("fmod");
  if (fmod != 0 && fmod != 1) return invalid_argument("attribute 'fmod' must be 0 or 1, got {}", fmod);
  // Python's sign rule (fmod=0) is only defined for integers.
  if (fmod == 0 && is_floating(ctx.input_type(0)))
    return invalid_argument("attribute 'fmod' must be 1 for {} inputs", data_type_name(ctx.input_type(0)));
  return infer_broadcast(TypeSet::kNumeric)(ctx);
}

Status infer_bit_shift(InferContext& ctx) {
  const std::string direction = ctx.node().attr_string("direction");
  if (direction != "LEFT" && direction != "RIGHT")
    return invalid_argument("attribute 'direction' must be 'LEFT' or 'RIGHT', got '{}'", direction);
  return infer_broadcast(TypeSet::kUnsigned)(ctx);
}

Status infer_where(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(check_input_type(ctx, 0, TypeSet::kBool, "condition"));
  KILN_RETURN_IF_ERROR(check_input_type(ctx, 1, TypeSet::kAll, "X"));
  KILN_RETURN_IF_ERROR(check_same_type(ctx, 1, 2));
  KILN_ASSIGN_OR_RETURN(Shape shape, broadcast_shapes({ctx.input_shape(0), ctx.input_shape(1), ctx.input_shape(2)}));
  ctx.set_output(0, ctx.input_type(1), std::move(shape));
  return Status::Ok();
}

}  // namespace

void register_binary_schemas(OpRegistry& r) {
  for (const char* op : {"Add", "Sub", "Mul", "Div"})
    r.add(OpSchema(op).inputs(2).outputs(1).infer(infer_broadcast(TypeSet::kNumeric)));
  r.add(OpSchema("Pow").inputs(2).outputs(1).infer(infer_pow));
  r.add(OpSchema("Mod").inputs(2).outputs(1).attr("fmod", Attribute::of_int(0)).infer(infer_mod));
  r.add(OpSchema("BitShift").inputs(2).outputs(1).required_attr("direction", AttrType::kString).infer(infer_bit_shift));
  for (const char* op : {"And", "Or", "Xor"})
    r.add(OpSchema(op).inputs(2).outputs(1).infer(infer_broadcast(TypeSet::kBool)));
  r.add(OpSchema("Equal").inputs(2).outputs(1).infer(infer_broadcast(TypeSet::kAll, DataType::kBool)));
  for (const char* op : {"Greater", "GreaterOrEqual", "Less", "LessOrEqual"})
    r.add(OpSchema(op).inputs(2).outputs(1).infer(infer_broadcast(TypeSet::kNumeric, DataType::kBool)));
  r.add(OpSchema("Where").inputs(3).outputs(1).infer(infer_where));
  for (const char* op : {"Max", "Min"})
    r.add(OpSchema(op).inputs(1, kUnboundedInputs).outputs(1).infer(infer_broadcast(TypeSet::kNumeric)));
  for (const char* op : {"Sum", "Mean"})
    r.add(OpSchema(op).inputs(1, kUnboundedInputs).outputs(1).infer(infer_broadcast(TypeSet::kFloat)));
}

}  // namespace kiln
