// Schemas of the detection ops NonMaxSuppression and RoiAlign.
#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

Dim dim_or_unknown(const Shape& s, int d) { return s.rank_known() && s.rank() > d ? s[d] : Dim(); }

Status require_rank(const InferContext& ctx, int i, const char* name, int rank) {
  const Shape& s = ctx.input_shape(i);
  if (ctx.has_input(i) && s.rank_known() && s.rank() != rank)
    return invalid_argument("input '{}' must have rank {}, got shape {}", name, rank, s.to_string());
  return Status::Ok();
}

// Known dims a and b that differ.
bool conflict(const Dim& a, const Dim& b) { return a.is_static() && b.is_static() && a.value != b.value; }

// boxes [batch, spatial, 4], scores [batch, classes, spatial] -> selected [count, 3] of
// (batch, class, box) indices; the count depends on the data.
Status infer_nms(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(require_rank(ctx, 0, "boxes", 3));
  KILN_RETURN_IF_ERROR(require_rank(ctx, 1, "scores", 3));
  const Shape& boxes = ctx.input_shape(0);
  const Shape& scores = ctx.input_shape(1);
  if (conflict(dim_or_unknown(boxes, 2), Dim(4)))
    return invalid_argument("input 'boxes' must end in 4 coordinates, got shape {}", boxes.to_string());
  if (conflict(dim_or_unknown(boxes, 0), dim_or_unknown(scores, 0)) ||
      conflict(dim_or_unknown(boxes, 1), dim_or_unknown(scores, 2)))
    return invalid_argument("boxes {} and scores {} disagree on batch or box count", boxes.to_string(), scores.to_string());
  const int64_t center = ctx.node().attr_int("center_point_box");
  if (center != 0 && center != 1) return invalid_argument("attribute 'center_point_box' must be 0 or 1, got {}", center);
  ctx.set_output(0, DataType::kInt64, Shape({Dim(), Dim(3)}));
  return Status::Ok();
}

// X [N, C, H, W], rois [R, 4], batch_indices [R] -> [R, C, output_height, output_width].
Status infer_roi_align(InferContext& ctx) {
  KILN_RETURN_IF_ERROR(require_rank(ctx, 0, "X", 4));
  KILN_RETURN_IF_ERROR(require_rank(ctx, 1, "rois", 2));
  KILN_RETURN_IF_ERROR(require_rank(ctx, 2, "batch_indices", 1));
  const Node& n = ctx.node();
  const std::string mode = n.attr_string("mode");
  if (mode != "avg" && mode != "max") return invalid_argument("attribute 'mode' must be avg or max, got '{}'", mode);
  const std::string ctm = n.attr_string("coordinate_transformation_mode");
  if (ctm != "half_pixel" && ctm != "output_half_pixel")
    return invalid_argument("attribute 'coordinate_transformation_mode' must be half_pixel or output_half_pixel, got '{}'", ctm);
  const int64_t oh = n.attr_int("output_height"), ow = n.attr_int("output_width");
  if (oh <= 0 || ow <= 0) return invalid_argument("output_height and output_width must be positive, got {} and {}", oh, ow);
  if (n.attr_int("sampling_ratio") < 0)
    return invalid_argument("attribute 'sampling_ratio' must not be negative, got {}", n.attr_int("sampling_ratio"));
  const Dim rois = dim_or_unknown(ctx.input_shape(1), 0);
  if (conflict(dim_or_unknown(ctx.input_shape(1), 1), Dim(4)))
    return invalid_argument("input 'rois' must be [num_rois, 4], got {}", ctx.input_shape(1).to_string());
  if (conflict(rois, dim_or_unknown(ctx.input_shape(2), 0)))
    return invalid_argument("rois {} and batch_indices {} disagree on the number of rois", ctx.input_shape(1).to_string(),
                            ctx.input_shape(2).to_string());
  if (ctx.input_type(2) != DataType::kInt64 && ctx.input_type(2) != DataType::kUndefined)
    return invalid_argument("input 'batch_indices' must be int64, got {}", data_type_name(ctx.input_type(2)));
  ctx.set_output(0, ctx.input_type(0), Shape({rois, dim_or_unknown(ctx.input_shape(0), 1), Dim(oh), Dim(ow)}));
  return Status::Ok();
}

}  // namespace

void register_detection_schemas(OpRegistry& r) {
  r.add(OpSchema("NonMaxSuppression").inputs(2, 5).outputs(1).attr("center_point_box", Attribute::of_int(0)).infer(infer_nms));
  r.add(OpSchema("RoiAlign").inputs(3).outputs(1)
            .attr("coordinate_transformation_mode", Attribute::of_string("half_pixel"))
            .attr("mode", Attribute::of_string("avg"))
            .attr("output_height", Attribute::of_int(1))
            .attr("output_width", Attribute::of_int(1))
            .attr("sampling_ratio", Attribute::of_int(0))
            .attr("spatial_scale", Attribute::of_float(1.f))
            .infer(infer_roi_align));
}

}  // namespace kiln
