// Ops that keep the data and only change the dims: Reshape, Flatten, Squeeze, Unsqueeze.
#include <algorithm>
#include <set>

#include "ir/op_schema.h"
#include "ir/ops/attr_or_input.h"
#include "ir/ops/dim_math.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

// Applies Reshape's rules to the requested dims: 0 copies the input dim (unless allowzero),
// -1 takes whatever is left of the element count.
Expected<Shape> reshape_output(const Shape& in, const std::vector<int64_t>& requested, bool allowzero) {
  std::vector<Dim> out;
  int inferred_axis = -1;
  bool has_zero = false;
  for (size_t i = 0; i < requested.size(); ++i) {
    const int64_t v = requested[i];
    if (v == -1) {
      if (inferred_axis >= 0) return invalid_argument("input 'shape' has more than one -1");
      inferred_axis = static_cast<int>(i);
      out.emplace_back();
    } else if (v == 0 && !allowzero) {
      if (!in.rank_known()) {
        out.emplace_back();
      } else if (static_cast<int>(i) >= in.rank()) {
        return invalid_argument("input 'shape' has 0 at position {}, past the input's rank {}", i, in.rank());
      } else {
        out.push_back(in[static_cast<int>(i)]);
      }
    } else if (v < 0) {
      return invalid_argument("input 'shape' has the invalid dim {}", v);
    } else {
      has_zero = has_zero || v == 0;
      out.emplace_back(v);
    }
  }
  if (allowzero && has_zero && inferred_axis >= 0)
    return invalid_argument("input 'shape' has both 0 and -1 while allowzero=1");
  Shape result(std::move(out));
  const Dim in_count = in.rank_known() ? dim_product(in, 0, in.rank()) : Dim();
  int64_t known_count = 1;
  bool all_known = true;
  for (int i = 0; i < result.rank(); ++i) {
    if (i == inferred_axis) continue;
    if (result[i].is_static()) known_count *= result[i].value;
    else all_known = false;
  }
  if (!in_count.is_static() || !all_known) return result;
  if (inferred_axis >= 0) {
    if (known_count == 0 || in_count.value % known_count != 0)
      return invalid_argument("cannot reshape {} elements into {} (input 'shape' {})", in_count.value,
                              result.to_string(), dims_to_string(requested));
    result[inferred_axis] = Dim(in_count.value / known_count);
  } else if (known_count != in_count.value) {
    return invalid_argument("cannot reshape {} elements into {}", in_count.value, result.to_string());
  }
  return result;
}

Status infer_reshape(InferContext& ctx) {
  ctx.set_output(0, ctx.input_type(0), Shape::unknown());
  const Tensor* shape = ctx.input_value(1);
  if (shape == nullptr) {
    const int64_t rank = length_of_1d(ctx.input_shape(1));
    if (rank >= 0) ctx.set_output(0, ctx.input_type(0), Shape::unknown_dims(static_cast<int>(rank)));
    return Status::Ok();
  }
  if (shape->rank() != 1) return invalid_argument("input 'shape' must be 1-D, got rank {}", shape->rank());
  KILN_ASSIGN_OR_RETURN(auto requested, tensor_to_int64s(*shape));
  KILN_ASSIGN_OR_RETURN(Shape out, reshape_output(ctx.input_shape(0), requested,
                                                  ctx.node().attr_int("allowzero") != 0));
  ctx.set_output(0, ctx.input_type(0), std::move(out));
  return Status::Ok();
}

Status infer_flatten(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  int64_t axis = ctx.node().attr_int("axis");
  if (!in.rank_known()) {
    ctx.set_output(0, ctx.input_type(0), Shape::unknown_dims(2));
    return Status::Ok();
  }
  if (axis < -in.rank() || axis > in.rank())
    return invalid_argument("attribute 'axis' {} is out of range for rank {}", axis, in.rank());
  if (axis < 0) axis += in.rank();
  const int a = static_cast<int>(axis);
  ctx.set_output(0, ctx.input_type(0), Shape({dim_product(in, 0, a), dim_product(in, a, in.rank())}));
  return Status::Ok();
}

// Normalizes axes against `rank` and rejects duplicates.
Expected<std::set<int>> unique_axes(const std::vector<int64_t>& axes, int rank) {
  std::set<int> out;
  for (int64_t a : axes) {
    auto n = normalize_axis(a, rank);
    if (!n.ok()) return invalid_argument("axes: {}", n.status().message());
    if (!out.insert(*n).second) return invalid_argument("axes: axis {} is repeated", a);
  }
  return out;
}

Status infer_squeeze(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  KILN_ASSIGN_OR_RETURN(IntList axes, int_list_attr_or_input(ctx.node(), "axes", 13, ctx.has_input(1),
                                                              ctx.input_value(1)));
  ctx.set_output(0, ctx.input_type(0), Shape::unknown());
  if (!in.rank_known()) return Status::Ok();
  if (axes.given && !axes.known) {
    const int64_t n = length_of_1d(ctx.input_shape(1));
    if (n >= 0 && n <= in.rank())
      ctx.set_output(0, ctx.input_type(0), Shape::unknown_dims(in.rank() - static_cast<int>(n)));
    return Status::Ok();
  }
  std::vector<Dim> out;
  if (!axes.given || axes.values.empty()) {
    // Without axes every dim of size 1 goes, so every dim must be known.
    for (const Dim& d : in.dims()) {
      if (!d.is_static()) return Status::Ok();
      if (d.value != 1) out.push_back(d);
    }
  } else {
    KILN_ASSIGN_OR_RETURN(auto drop, unique_axes(axes.values, in.rank()));
    for (int i = 0; i < in.rank(); ++i) {
      if (!drop.count(i)) {
        out.push_back(in[i]);
      } else if (in[i].is_static() && in[i].value != 1) {
        return invalid_argument("cannot squeeze axis {} of size {}", i, in[i].value);
      }
    }
  }
  ctx.set_output(0, ctx.input_type(0), Shape(std::move(out)));
  return Status::Ok();
}

Status infer_unsqueeze(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  KILN_ASSIGN_OR_RETURN(IntList axes, int_list_attr_or_input(ctx.node(), "axes", 13, ctx.has_input(1),
                                                              ctx.input_value(1)));
  if (!axes.given) return invalid_argument("axes are required");
  ctx.set_output(0, ctx.input_type(0), Shape::unknown());
  if (!in.rank_known()) return Status::Ok();
  if (!axes.known) {
    const int64_t n = length_of_1d(ctx.input_shape(1));
    if (n >= 0) ctx.set_output(0, ctx.input_type(0), Shape::unknown_dims(in.rank() + static_cast<int>(n)));
    return Status::Ok();
  }
  const int out_rank = in.rank() + static_cast<int>(axes.values.size());
  KILN_ASSIGN_OR_RETURN(auto inserted, unique_axes(axes.values, out_rank));
  std::vector<Dim> out;
  int next_in = 0;
  for (int i = 0; i < out_rank; ++i) out.push_back(inserted.count(i) ? Dim(1) : in[next_in++]);
  ctx.set_output(0, ctx.input_type(0), Shape(std::move(out)));
  return Status::Ok();
}

}  // namespace

void register_reshape_schemas(OpRegistry& r) {
  r.add(OpSchema("Reshape").inputs(2).attr("allowzero", Attribute::of_int(0)).infer(infer_reshape));
  r.add(OpSchema("Flatten").inputs(1).attr("axis", Attribute::of_int(1)).infer(infer_flatten));
  r.add(OpSchema("Squeeze").inputs(1, 2).attr("axes", AttrType::kInts).infer(infer_squeeze));
  r.add(OpSchema("Unsqueeze").inputs(1, 2).attr("axes", AttrType::kInts).infer(infer_unsqueeze));
}

}  // namespace kiln
