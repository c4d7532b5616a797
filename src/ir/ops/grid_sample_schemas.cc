// Schema of GridSample (opset 16: 4-D input, a 2-D sampling grid per batch entry).
#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

// X [N, C, H, W], grid [N, H_out, W_out, 2] of (x, y) in [-1, 1] -> [N, C, H_out, W_out].
Status infer_grid_sample(InferContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  const Shape& grid = ctx.input_shape(1);
  if (x.rank_known() && x.rank() != 4) return invalid_argument("input 'X' must have rank 4, got shape {}", x.to_string());
  if (grid.rank_known() && (grid.rank() != 4 || (grid[3].is_static() && grid[3].value != 2)))
    return invalid_argument("input 'grid' must be [N, H_out, W_out, 2], got shape {}", grid.to_string());
  if (x.rank_known() && grid.rank_known() && x[0].is_static() && grid[0].is_static() && x[0].value != grid[0].value)
    return invalid_argument("X {} and grid {} disagree on the batch size", x.to_string(), grid.to_string());
  const std::string mode = ctx.node().attr_string("mode");
  if (mode != "bilinear" && mode != "nearest" && mode != "bicubic")
    return invalid_argument("attribute 'mode' must be bilinear, nearest or bicubic, got '{}'", mode);
  const std::string padding = ctx.node().attr_string("padding_mode");
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    return invalid_argument("attribute 'padding_mode' must be zeros, border or reflection, got '{}'", padding);
  if (ctx.input_type(0) != ctx.input_type(1) && ctx.input_type(1) != DataType::kUndefined &&
      ctx.input_type(0) != DataType::kUndefined)
    return invalid_argument("X is {} but grid is {}", data_type_name(ctx.input_type(0)), data_type_name(ctx.input_type(1)));
  const auto d = [](const Shape& s, int i) { return s.rank_known() ? s[i] : Dim(); };
  ctx.set_output(0, ctx.input_type(0), Shape({d(x, 0), d(x, 1), d(grid, 1), d(grid, 2)}));
  return Status::Ok();
}

}  // namespace

void register_grid_sample_schemas(OpRegistry& r) {
  r.add(OpSchema("GridSample").inputs(2).outputs(1)
            .attr("align_corners", Attribute::of_int(0))
            .attr("mode", Attribute::of_string("bilinear"))
            .attr("padding_mode", Attribute::of_string("zeros"))
            .infer(infer_grid_sample));
}

}  // namespace kiln
