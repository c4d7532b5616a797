// Pad: grows (or, with negative pads, crops) every axis, filling by constant, reflection or edge.
#include "ir/op_schema.h"
#include "ir/ops/attr_or_input.h"

namespace kiln {

namespace {

Status infer_pad(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const std::string mode = ctx.node().attr_string("mode");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return invalid_argument("attribute 'mode' must be constant, reflect or edge, got '{}'", mode);
  KILN_ASSIGN_OR_RETURN(IntList pads, int_list_attr_or_input(ctx.node(), "pads", 11, ctx.has_input(1),
                                                              ctx.input_value(1)));
  if (!pads.given) return invalid_argument("pads are required");
  ctx.set_output(0, ctx.input_type(0), in.rank_known() ? Shape::unknown_dims(in.rank()) : Shape::unknown());
  if (!in.rank_known() || !pads.known) return Status::Ok();
  const int r = in.rank();
  if (static_cast<int>(pads.values.size()) != 2 * r)
    return invalid_argument("'pads' has {} entries, expected 2 * rank = {}", pads.values.size(), 2 * r);
  Shape out = in;
  for (int i = 0; i < r; ++i) {
    if (!in[i].is_static()) continue;
    const int64_t d = in[i].value + pads.values[static_cast<size_t>(i)] + pads.values[static_cast<size_t>(i + r)];
    if (d < 0) return invalid_argument("'pads' crop axis {} of size {} below zero", i, in[i].value);
    out[i] = Dim(d);
  }
  ctx.set_output(0, ctx.input_type(0), std::move(out));
  return Status::Ok();
}

}  // namespace

void register_pad_schemas(OpRegistry& r) {
  r.add(OpSchema("Pad").inputs(1, 3).attr("mode", Attribute::of_string("constant")).attr("pads", AttrType::kInts)
            .attr("value", Attribute::of_float(0.f)).infer(infer_pad));
}

}  // namespace kiln
