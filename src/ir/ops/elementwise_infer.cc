#include "ir/ops/elementwise_infer.h"

#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

bool in_set(DataType t, TypeSet set) {
  switch (set) {
    case TypeSet::kFloat: return is_floating(t);
    case TypeSet::kSignedNumeric: return is_floating(t) || is_signed_integer(t);
    case TypeSet::kNumeric: return is_floating(t) || is_integer(t);
    case TypeSet::kUnsigned: return is_integer(t) && !is_signed_integer(t);
    case TypeSet::kBool: return t == DataType::kBool;
    case TypeSet::kAll: return is_floating(t) || is_integer(t) || t == DataType::kBool;
  }
  return false;
}

const char* set_name(TypeSet set) {
  switch (set) {
    case TypeSet::kFloat: return "a floating type";
    case TypeSet::kSignedNumeric: return "a floating or signed integer type";
    case TypeSet::kNumeric: return "a numeric type";
    case TypeSet::kUnsigned: return "an unsigned integer type";
    case TypeSet::kBool: return "bool";
    case TypeSet::kAll: return "a numeric or bool type";
  }
  return "";
}

}  // namespace

Status check_input_type(const InferContext& ctx, int input, TypeSet set, std::string_view input_name) {
  const DataType t = ctx.input_type(input);
  if (t == DataType::kUndefined || in_set(t, set)) return Status::Ok();
  if (input_name.empty())
    return invalid_argument("input {} is {}, expected {}", input, data_type_name(t), set_name(set));
  return invalid_argument("input {} ('{}') is {}, expected {}", input, input_name, data_type_name(t),
                          set_name(set));
}

Status check_same_type(const InferContext& ctx, int a, int b) {
  const DataType ta = ctx.input_type(a);
  const DataType tb = ctx.input_type(b);
  if (ta == DataType::kUndefined || tb == DataType::kUndefined || ta == tb) return Status::Ok();
  return invalid_argument("inputs {} and {} must have the same type, got {} and {}", a, b,
                          data_type_name(ta), data_type_name(tb));
}

InferFn infer_unary(TypeSet set) {
  return [set](InferContext& ctx) -> Status {
    KILN_RETURN_IF_ERROR(check_input_type(ctx, 0, set, "X"));
    ctx.set_output(0, ctx.input_type(0), ctx.input_shape(0));
    return Status::Ok();
  };
}

InferFn infer_unary_to(TypeSet set, DataType out) {
  return [set, out](InferContext& ctx) -> Status {
    KILN_RETURN_IF_ERROR(check_input_type(ctx, 0, set, "X"));
    ctx.set_output(0, out, ctx.input_shape(0));
    return Status::Ok();
  };
}

InferFn infer_broadcast(TypeSet set, DataType out) {
  return [set, out](InferContext& ctx) -> Status {
    std::vector<Shape> shapes;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) return invalid_argument("input {} is missing", i);
      KILN_RETURN_IF_ERROR(check_input_type(ctx, i, set, ""));
      KILN_RETURN_IF_ERROR(check_same_type(ctx, 0, i));
      shapes.push_back(ctx.input_shape(i));
    }
    KILN_ASSIGN_OR_RETURN(Shape shape, broadcast_shapes(shapes));
    ctx.set_output(0, out == DataType::kUndefined ? ctx.input_type(0) : out, std::move(shape));
    return Status::Ok();
  };
}

}  // namespace kiln
