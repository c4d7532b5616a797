#include "ir/ops/batched_nms_params.h"

namespace kiln {

namespace {

// Merges a dim seen in two places into `known`; an error when both are known and differ.
Status agree(int64_t& known, const Dim& d, const char* what, const Shape& boxes, const Shape& scores) {
  if (!d.is_static()) return Status::Ok();
  if (known >= 0 && known != d.value)
    return invalid_argument("boxes {} and scores {} disagree on the {}", boxes.to_string(), scores.to_string(), what);
  known = d.value;
  return Status::Ok();
}

}  // namespace

Expected<BatchedNmsParams> read_batched_nms_params(const Node& node, const Shape& boxes, const Shape& scores) {
  BatchedNmsParams p;
  p.score_threshold = node.attr_float("score_threshold");
  p.iou_threshold = node.attr_float("iou_threshold");
  if (!(p.iou_threshold >= 0.f && p.iou_threshold <= 1.f))
    return invalid_argument("attribute 'iou_threshold' must be in [0, 1], got {}", p.iou_threshold);
  p.top_k = node.attr_int("top_k");
  if (p.top_k == 0 || p.top_k < -1) return invalid_argument("attribute 'top_k' must be positive or -1 (all), got {}", p.top_k);
  p.keep_top_k = node.attr_int("keep_top_k");
  if (p.keep_top_k <= 0) return invalid_argument("attribute 'keep_top_k' must be positive, got {}", p.keep_top_k);
  p.class_agnostic = node.attr_int("class_agnostic") != 0;
  const std::string encoding = node.attr_string("box_encoding");
  if (encoding != "corners" && encoding != "center")
    return invalid_argument("attribute 'box_encoding' must be corners or center, got '{}'", encoding);
  p.center_boxes = encoding == "center";

  if (scores.rank_known() && scores.rank() != 3)
    return invalid_argument("input 'scores' must be [N, boxes, classes], got {}", scores.to_string());
  if (boxes.rank_known() && boxes.rank() != 3 && boxes.rank() != 4)
    return invalid_argument("input 'boxes' must be [N, boxes, 4] or [N, boxes, classes, 4], got {}", boxes.to_string());
  if (scores.rank_known()) {
    KILN_RETURN_IF_ERROR(agree(p.batch, scores[0], "batch size", boxes, scores));
    KILN_RETURN_IF_ERROR(agree(p.num_boxes, scores[1], "number of boxes", boxes, scores));
    KILN_RETURN_IF_ERROR(agree(p.num_classes, scores[2], "number of classes", boxes, scores));
  }
  if (boxes.rank_known()) {
    const int r = boxes.rank();
    if (boxes[r - 1].is_static() && boxes[r - 1].value != 4)
      return invalid_argument("input 'boxes' must end in 4 coordinates, got {}", boxes.to_string());
    KILN_RETURN_IF_ERROR(agree(p.batch, boxes[0], "batch size", boxes, scores));
    KILN_RETURN_IF_ERROR(agree(p.num_boxes, boxes[1], "number of boxes", boxes, scores));
    if (r == 4) {
      if (!boxes[2].is_static())
        return invalid_argument("input 'boxes' {} needs a known per-class dimension (1 or classes)", boxes.to_string());
      p.shared_boxes = boxes[2].value == 1;
      if (!p.shared_boxes) KILN_RETURN_IF_ERROR(agree(p.num_classes, boxes[2], "number of classes", boxes, scores));
    }
  }
  return p;
}

}  // namespace kiln
