// Ops that permute elements without computing: Transpose, DepthToSpace, SpaceToDepth.
#include "ir/op_schema.h"
#include "ir/ops/dim_math.h"
#include "ir/ops/infer_utils.h"
#include "ir/ops/transpose_perm.h"

namespace kiln {

namespace {

Status infer_transpose(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const Attribute* perm_attr = ctx.node().attr("perm");
  if (!in.rank_known()) {
    ctx.set_output(0, ctx.input_type(0),
                   perm_attr ? Shape::unknown_dims(static_cast<int>(perm_attr->ints.size())) : Shape::unknown());
    return Status::Ok();
  }
  KILN_ASSIGN_OR_RETURN(auto perm, transpose_perm(ctx.node(), in.rank()));
  std::vector<Dim> out;
  for (int64_t p : perm) out.push_back(in[static_cast<int>(p)]);
  ctx.set_output(0, ctx.input_type(0), Shape(std::move(out)));
  return Status::Ok();
}

// Both block ops take [N, C, H, W] and trade channels for spatial positions.
Expected<int64_t> block_size(const InferContext& ctx) {
  const int64_t bs = ctx.node().attr_int("blocksize");
  if (bs <= 0) return invalid_argument("attribute 'blocksize' must be positive, got {}", bs);
  const Shape& in = ctx.input_shape(0);
  if (in.rank_known() && in.rank() != 4) return invalid_argument("input must be 4-D [N, C, H, W], got {}", in.to_string());
  return bs;
}

Status infer_depth_to_space(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(int64_t bs, block_size(ctx));
  const std::string mode = ctx.node().attr_string("mode");
  if (mode != "DCR" && mode != "CRD") return invalid_argument("attribute 'mode' must be DCR or CRD, got '{}'", mode);
  const Shape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output(0, ctx.input_type(0), Shape::unknown_dims(4));
    return Status::Ok();
  }
  if (in[1].is_static() && in[1].value % (bs * bs) != 0)
    return invalid_argument("channels {} are not divisible by blocksize^2 = {}", in[1].value, bs * bs);
  const Dim c = in[1].is_static() ? Dim(in[1].value / (bs * bs)) : Dim();
  ctx.set_output(0, ctx.input_type(0), Shape({in[0], c, dim_times(in[2], bs), dim_times(in[3], bs)}));
  return Status::Ok();
}

Status infer_space_to_depth(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(int64_t bs, block_size(ctx));
  const Shape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output(0, ctx.input_type(0), Shape::unknown_dims(4));
    return Status::Ok();
  }
  std::vector<Dim> out = {in[0], dim_times(in[1], bs * bs)};
  for (int i = 2; i < 4; ++i) {
    if (in[i].is_static() && in[i].value % bs != 0)
      return invalid_argument("spatial dim {} is not divisible by blocksize {}", in[i].value, bs);
    out.push_back(in[i].is_static() ? Dim(in[i].value / bs) : Dim());
  }
  ctx.set_output(0, ctx.input_type(0), Shape(std::move(out)));
  return Status::Ok();
}

}  // namespace

void register_layout_schemas(OpRegistry& r) {
  r.add(OpSchema("Transpose").inputs(1).attr("perm", AttrType::kInts).infer(infer_transpose));
  r.add(OpSchema("DepthToSpace").inputs(1).required_attr("blocksize", AttrType::kInt)
            .attr("mode", Attribute::of_string("DCR")).infer(infer_depth_to_space));
  r.add(OpSchema("SpaceToDepth").inputs(1).required_attr("blocksize", AttrType::kInt).infer(infer_space_to_depth));
}

}  // namespace kiln
