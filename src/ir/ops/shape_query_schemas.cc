// Ops that report a tensor's shape rather than its data: Shape, Size.
#include <algorithm>

#include "core/error.h"
#include "ir/op_schema.h"
#include "ir/ops/shape_range.h"

namespace kiln {

namespace {

Status infer_shape(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output(0, DataType::kInt64, Shape::unknown_dims(1));
    return Status::Ok();
  }
  const auto [start, end] = shape_range(ctx.node(), in.rank());
  ctx.set_output(0, DataType::kInt64, Shape({Dim(end - start)}));
  return Status::Ok();
}

Status infer_size(InferContext& ctx) {
  ctx.set_output(0, DataType::kInt64, Shape(std::vector<Dim>{}));
  return Status::Ok();
}

}  // namespace

std::pair<int64_t, int64_t> shape_range(const Node& node, int rank) {
  auto clamp_end = [rank](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
  const int64_t start = clamp_end(node.attr_int("start", 0));
  const int64_t end = clamp_end(node.attr_int("end", rank));
  return {start, std::max(start, end)};
}

void register_shape_query_schemas(OpRegistry& r) {
  r.add(OpSchema("Shape").inputs(1).attr("start", Attribute::of_int(0)).attr("end", AttrType::kInt).infer(infer_shape));
  r.add(OpSchema("Size").inputs(1).infer(infer_size));
}

}  // namespace kiln
