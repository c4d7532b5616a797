// Schemas of the convolutions: Conv, ConvTranspose, ConvInteger, QLinearConv.
#include "ir/op_schema.h"
#include "ir/ops/conv_geometry.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

int64_t dim_or_unknown(const Shape& s, int i) { return s[i].is_static() ? s[i].value : -1; }

// Output [N, M, spatial...] of a convolution of X (input x_index) with W (input w_index).
// Conv's W is [M, C/group, k...]; ConvTranspose's is [C, M/group, k...].
Status infer_conv_like(InferContext& ctx, int x_index, int w_index, DataType out_type, bool transposed) {
  const Shape& x = ctx.input_shape(x_index);
  const Shape& w = ctx.input_shape(w_index);
  const int64_t group = ctx.node().attr_int("group", 1);
  if (group <= 0) return invalid_argument("attribute 'group' must be positive, got {}", group);
  if (!x.rank_known() && !w.rank_known()) {
    ctx.set_output(0, out_type, Shape::unknown());
    return Status::Ok();
  }
  const int rank = x.rank_known() ? x.rank() : w.rank();
  if (rank < 3) return invalid_argument("input X must have rank >= 3 ([N, C, spatial...]), got rank {}", rank);
  if (x.rank_known() && w.rank_known() && x.rank() != w.rank())
    return invalid_argument("input X has rank {} but the weights W have rank {}", x.rank(), w.rank());
  const Shape xs = x.rank_known() ? x : Shape::unknown_dims(rank);
  const Shape ws = w.rank_known() ? w : Shape::unknown_dims(rank);
  const int64_t channels = dim_or_unknown(xs, 1);
  const int64_t w0 = dim_or_unknown(ws, 0), w1 = dim_or_unknown(ws, 1);
  if (!transposed) {
    if (channels >= 0 && channels % group != 0)
      return invalid_argument("input channels {} are not divisible by 'group' {}", channels, group);
    if (channels >= 0 && w1 >= 0 && w1 * group != channels)
      return invalid_argument("weights W have {} input channels per group, but X has {} channels and 'group' is {}",
                              w1, channels, group);
    if (w0 >= 0 && w0 % group != 0)
      return invalid_argument("output channels {} are not divisible by 'group' {}", w0, group);
  } else {
    if (channels >= 0 && w0 >= 0 && channels != w0)
      return invalid_argument("input X has {} channels but the weights W have {}", channels, w0);
    if (w0 >= 0 && w0 % group != 0)
      return invalid_argument("input channels {} are not divisible by 'group' {}", w0, group);
  }
  std::vector<int64_t> in_spatial, kernel;
  for (int i = 2; i < rank; ++i) {
    in_spatial.push_back(dim_or_unknown(xs, i));
    kernel.push_back(dim_or_unknown(ws, i));
  }
  KILN_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(ctx.node(), in_spatial, kernel, transposed));
  std::vector<Dim> out{xs[0], transposed ? (w1 >= 0 ? Dim(w1 * group) : Dim()) : ws[0]};
  for (int64_t o : g.output) out.push_back(o >= 0 ? Dim(o) : Dim());
  ctx.set_output(0, out_type, Shape(std::move(out)));
  return Status::Ok();
}

}  // namespace

OpSchema conv_attrs(OpSchema s) {
  return std::move(s)
      .attr("auto_pad", Attribute::of_string("NOTSET"))
      .attr("dilations", AttrType::kInts)
      .attr("group", Attribute::of_int(1))
      .attr("kernel_shape", AttrType::kInts)
      .attr("pads", AttrType::kInts)
      .attr("strides", AttrType::kInts);
}

void register_conv_schemas(OpRegistry& r) {
  r.add(conv_attrs(OpSchema("Conv").inputs(2, 3)).infer([](InferContext& ctx) {
    return infer_conv_like(ctx, 0, 1, ctx.input_type(0), false);
  }));
  r.add(conv_attrs(OpSchema("ConvTranspose").inputs(2, 3))
            .attr("output_padding", AttrType::kInts)
            .attr("output_shape", AttrType::kInts)
            .infer([](InferContext& ctx) { return infer_conv_like(ctx, 0, 1, ctx.input_type(0), true); }));
  r.add(conv_attrs(OpSchema("ConvInteger").inputs(2, 4)).infer([](InferContext& ctx) {
    return infer_conv_like(ctx, 0, 1, DataType::kInt32, false);
  }));
  // x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B
  r.add(conv_attrs(OpSchema("QLinearConv").inputs(8, 9)).infer([](InferContext& ctx) {
    return infer_conv_like(ctx, 0, 3, ctx.input_type(7), false);
  }));
}

}  // namespace kiln
