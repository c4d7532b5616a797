// Ops that make a tensor from a few numbers: ConstantOfShape, Range, EyeLike, OneHot.
#include <cmath>

#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

Status infer_constant_of_shape(InferContext& ctx) {
  DataType dtype = DataType::kFloat32;
  if (const Attribute* value = ctx.node().attr("value")) {
    if (value->t.numel() != 1)
      return invalid_argument("attribute 'value' must hold exactly one element, got {}", value->t.numel());
    dtype = value->t.dtype();
  }
  const Tensor* shape = ctx.input_value(0);
  if (shape == nullptr) {
    const Shape& s = ctx.input_shape(0);
    const bool rank_known = s.rank_known() && s.rank() == 1 && s[0].is_static();
    ctx.set_output(0, dtype, rank_known ? Shape::unknown_dims(static_cast<int>(s[0].value)) : Shape::unknown());
    return Status::Ok();
  }
  if (shape->rank() != 1) return invalid_argument("input must be 1-D, got rank {}", shape->rank());
  KILN_ASSIGN_OR_RETURN(auto dims, tensor_to_int64s(*shape));
  for (int64_t d : dims)
    if (d < 0) return invalid_argument("input has the negative dim {}", d);
  ctx.set_output(0, dtype, Shape::from_dims(dims));
  return Status::Ok();
}

// Number of elements of Range(start, limit, delta): ceil((limit - start) / delta), at least 0.
// Integers are counted exactly; doubles would round large int64 values.
Expected<int64_t> range_count(const Tensor& start, const Tensor& limit, const Tensor& delta) {
  for (const Tensor* t : {&start, &limit, &delta})
    if (t->numel() != 1) return invalid_argument("start, limit and delta must be scalars, got shape {}", dims_to_string(t->dims()));
  if (is_integer(start.dtype())) {
    KILN_ASSIGN_OR_RETURN(auto s, tensor_to_int64s(start));
    KILN_ASSIGN_OR_RETURN(auto l, tensor_to_int64s(limit));
    KILN_ASSIGN_OR_RETURN(auto d, tensor_to_int64s(delta));
    if (d[0] == 0) return invalid_argument("input 'delta' must not be 0");
    const int64_t span = l[0] - s[0];
    const int64_t n = span / d[0] + ((span % d[0] != 0 && ((span < 0) == (d[0] < 0))) ? 1 : 0);
    return std::max<int64_t>(n, 0);
  }
  KILN_ASSIGN_OR_RETURN(auto s, tensor_to_doubles(start));
  KILN_ASSIGN_OR_RETURN(auto l, tensor_to_doubles(limit));
  KILN_ASSIGN_OR_RETURN(auto d, tensor_to_doubles(delta));
  if (d[0] == 0) return invalid_argument("input 'delta' must not be 0");
  const double n = std::ceil((l[0] - s[0]) / d[0]);
  if (!std::isfinite(n)) return invalid_argument("Range({}, {}, {}) has no finite length", s[0], l[0], d[0]);
  return std::max<int64_t>(static_cast<int64_t>(n), 0);
}

Status infer_range(InferContext& ctx) {
  const DataType t = ctx.input_type(0);
  if (t != DataType::kFloat32 && t != DataType::kFloat64 && t != DataType::kInt16 && t != DataType::kInt32 &&
      t != DataType::kInt64)
    return invalid_argument("Range takes float32, float64, int16, int32 or int64, got {}", data_type_name(t));
  if (ctx.input_type(1) != t || ctx.input_type(2) != t)
    return invalid_argument("start, limit and delta must have the same type");
  ctx.set_output(0, t, Shape::unknown_dims(1));
  const Tensor* start = ctx.input_value(0);
  const Tensor* limit = ctx.input_value(1);
  const Tensor* delta = ctx.input_value(2);
  if (start == nullptr || limit == nullptr || delta == nullptr) return Status::Ok();
  KILN_ASSIGN_OR_RETURN(int64_t n, range_count(*start, *limit, *delta));
  ctx.set_output(0, t, Shape({Dim(n)}));
  return Status::Ok();
}

Status infer_eye_like(InferContext& ctx) {
  DataType dtype = ctx.input_type(0);
  if (const Attribute* a = ctx.node().attr("dtype")) {
    auto t = data_type_from_onnx_number(a->i);
    if (!t.ok()) return Status(t.status().code(), "attribute 'dtype': " + t.status().message());
    dtype = *t;
  }
  const Shape& in = ctx.input_shape(0);
  if (in.rank_known() && in.rank() != 2) return invalid_argument("input must be 2-D, got {}", in.to_string());
  ctx.set_output(0, dtype, in.rank_known() ? in : Shape::unknown_dims(2));
  return Status::Ok();
}

Status infer_one_hot(InferContext& ctx) {
  const Shape& indices = ctx.input_shape(0);
  const DataType dtype = ctx.input_type(2);
  ctx.set_output(0, dtype, Shape::unknown());
  if (!indices.rank_known()) return Status::Ok();
  const int out_rank = indices.rank() + 1;
  auto axis = normalize_axis(ctx.node().attr_int("axis"), out_rank);
  if (!axis.ok()) return invalid_argument("attribute 'axis': {}", axis.status().message());
  Dim depth;
  if (const Tensor* d = ctx.input_value(1)) {
    if (d->numel() != 1) return invalid_argument("input 'depth' must hold one value, got shape {}", dims_to_string(d->dims()));
    KILN_ASSIGN_OR_RETURN(auto v, tensor_to_doubles(*d));
    if (!(v[0] >= 1 && v[0] < 9.0e18)) return invalid_argument("input 'depth' must be a positive count, got {}", v[0]);
    depth = Dim(static_cast<int64_t>(v[0]));
  }
  std::vector<Dim> out = indices.dims();
  out.insert(out.begin() + *axis, depth);
  ctx.set_output(0, dtype, Shape(std::move(out)));
  return Status::Ok();
}

}  // namespace

void register_generator_schemas(OpRegistry& r) {
  r.add(OpSchema("ConstantOfShape").inputs(1).attr("value", AttrType::kTensor).infer(infer_constant_of_shape));
  r.add(OpSchema("Range").inputs(3).infer(infer_range));
  r.add(OpSchema("EyeLike").inputs(1).attr("dtype", AttrType::kInt).attr("k", Attribute::of_int(0)).infer(infer_eye_like));
  r.add(OpSchema("OneHot").inputs(3).attr("axis", Attribute::of_int(-1)).infer(infer_one_hot));
}

}  // namespace kiln
