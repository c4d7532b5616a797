// Joining tensors along an axis and cutting one apart: Concat, Split.
#include <limits>

#include "ir/op_schema.h"
#include "ir/ops/attr_or_input.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

Status infer_concat(InferContext& ctx) {
  const DataType dtype = ctx.input_type(0);
  int rank = -1;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.input_type(i) != dtype)
      return invalid_argument("input {} is {} but input 0 is {}", i, data_type_name(ctx.input_type(i)),
                              data_type_name(dtype));
    const Shape& s = ctx.input_shape(i);
    if (!s.rank_known()) continue;
    if (rank >= 0 && s.rank() != rank)
      return invalid_argument("input {} has rank {} but an earlier input has rank {}", i, s.rank(), rank);
    rank = s.rank();
  }
  if (rank < 0) {
    ctx.set_output(0, dtype, Shape::unknown());
    return Status::Ok();
  }
  auto axis_or = normalize_axis(ctx.node().attr_int("axis"), rank);
  if (!axis_or.ok()) return invalid_argument("attribute 'axis': {}", axis_or.status().message());
  const int axis = *axis_or;
  Shape out = Shape::unknown_dims(rank);
  int64_t axis_total = 0;
  bool axis_known = true;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const Shape& s = ctx.input_shape(i);
    if (!s.rank_known()) {
      axis_known = false;
      continue;
    }
    for (int d = 0; d < rank; ++d) {
      if (d == axis) continue;
      if (!s[d].is_static()) {
        if (!out[d].is_static() && out[d].symbol.empty()) out[d] = s[d];  // keep a named dim
        continue;
      }
      if (out[d].is_static() && out[d].value != s[d].value)
        return invalid_argument("input {} has dim {} = {} but another input has {}", i, d, s[d].value, out[d].value);
      out[d] = s[d];
    }
    if (s[axis].is_static()) axis_total += s[axis].value;
    else axis_known = false;
  }
  if (axis_known) out[axis] = Dim(axis_total);
  ctx.set_output(0, dtype, std::move(out));
  return Status::Ok();
}

Status infer_split(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const int n = ctx.num_outputs();
  KILN_ASSIGN_OR_RETURN(IntList split, int_list_attr_or_input(ctx.node(), "split", 13, ctx.has_input(1),
                                                               ctx.input_value(1)));
  for (int i = 0; i < n; ++i) ctx.set_output(i, ctx.input_type(0), in.rank_known() ? Shape::unknown_dims(in.rank()) : Shape::unknown());
  if (!in.rank_known()) return Status::Ok();
  auto axis_or = normalize_axis(ctx.node().attr_int("axis"), in.rank());
  if (!axis_or.ok()) return invalid_argument("attribute 'axis': {}", axis_or.status().message());
  const int axis = *axis_or;
  const Dim& dim = in[axis];
  std::vector<Dim> sizes(static_cast<size_t>(n));
  if (split.given && split.known) {
    if (static_cast<int>(split.values.size()) != n)
      return invalid_argument("'split' has {} entries for {} outputs", split.values.size(), n);
    int64_t total = 0;
    for (size_t i = 0; i < split.values.size(); ++i) {
      if (split.values[i] < 0) return invalid_argument("'split' has the negative size {}", split.values[i]);
      total += split.values[i];
      sizes[i] = Dim(split.values[i]);
    }
    if (dim.is_static() && total != dim.value)
      return invalid_argument("'split' sizes sum to {} but axis {} has size {}", total, axis, dim.value);
  } else if (!split.given && dim.is_static()) {
    if (dim.value % n != 0)
      return invalid_argument("axis {} of size {} cannot be split into {} equal parts", axis, dim.value, n);
    for (Dim& s : sizes) s = Dim(dim.value / n);
  }
  for (int i = 0; i < n; ++i) {
    Shape out = in;
    out[axis] = sizes[static_cast<size_t>(i)];
    ctx.set_output(i, ctx.input_type(0), std::move(out));
  }
  return Status::Ok();
}

}  // namespace

void register_concat_split_schemas(OpRegistry& r) {
  constexpr int kMany = std::numeric_limits<int>::max();
  r.add(OpSchema("Concat").inputs(1, kMany).required_attr("axis", AttrType::kInt).infer(infer_concat));
  r.add(OpSchema("Split").inputs(1, 2).outputs(1, kMany).attr("axis", Attribute::of_int(0))
            .attr("split", AttrType::kInts).infer(infer_split));
}

}  // namespace kiln
