#include "ir/ops/yolo_decode_params.h"

namespace kiln {

namespace {

Expected<YoloVariant> variant_of(const std::string& name) {
  if (name == "yolov3") return YoloVariant::kV3;
  if (name == "yolov5") return YoloVariant::kV5;
  if (name == "yolov8") return YoloVariant::kV8;
  return invalid_argument("attribute 'variant' must be yolov3, yolov5 or yolov8, got '{}'", name);
}

}  // namespace

Expected<YoloDecodeParams> read_yolo_decode_params(const Node& node, const std::vector<Shape>& inputs) {
  YoloDecodeParams p;
  KILN_ASSIGN_OR_RETURN(p.variant, variant_of(node.attr_string("variant")));
  p.num_classes = node.attr_int("num_classes");
  if (p.num_classes <= 0) return invalid_argument("attribute 'num_classes' must be positive, got {}", p.num_classes);
  const std::string format = node.attr_string("box_format");
  if (format != "corners" && format != "center")
    return invalid_argument("attribute 'box_format' must be corners or center, got '{}'", format);
  p.center_boxes = format == "center";
  const auto strides = node.attr_ints("strides");
  const auto anchors = node.attr_floats("anchors");
  const size_t levels = inputs.size();
  if (strides.size() != levels)
    return invalid_argument("attribute 'strides' has {} values for {} inputs", strides.size(), levels);
  if (p.variant == YoloVariant::kV8) {
    if (!anchors.empty()) return invalid_argument("yolov8 heads are anchor-free, but 'anchors' is given");
  } else {
    if (anchors.empty() || anchors.size() % (2 * levels) != 0)
      return invalid_argument("attribute 'anchors' must hold (w, h) pairs, the same number per input ({} inputs), got {} values",
                              levels, anchors.size());
    p.num_anchors = static_cast<int64_t>(anchors.size() / (2 * levels));
  }
  int64_t batch = -1;
  int64_t boxes = 0;
  for (size_t l = 0; l < levels; ++l) {
    YoloLevel level;
    if (strides[l] <= 0) return invalid_argument("attribute 'strides' must be positive, got {}", strides[l]);
    level.stride = static_cast<float>(strides[l]);
    const auto a = static_cast<std::ptrdiff_t>(2 * l) * p.num_anchors;
    if (p.variant != YoloVariant::kV8) level.anchors.assign(anchors.begin() + a, anchors.begin() + a + 2 * p.num_anchors);
    const Shape& s = inputs[l];
    if (s.rank_known()) {
      if (s.rank() != 4) return invalid_argument("input {} must be [N, channels, H, W], got {}", l, s.to_string());
      const int64_t channels = p.num_anchors * p.channels_per_anchor();
      if (s[1].is_static() && s[1].value != channels)
        return invalid_argument("input {} has {} channels; {} anchor(s) of {} classes need {}", l, s[1].value,
                                p.num_anchors, p.num_classes, channels);
      if (s[0].is_static()) {
        if (batch >= 0 && s[0].value != batch)
          return invalid_argument("the inputs disagree on the batch size: {} and {}", batch, s[0].value);
        batch = s[0].value;
      }
      if (s[2].is_static()) level.height = s[2].value;
      if (s[3].is_static()) level.width = s[3].value;
    }
    level.first_box = boxes;
    if (boxes >= 0 && level.height >= 0 && level.width >= 0) boxes += p.num_anchors * level.height * level.width;
    else boxes = -1;
    p.levels.push_back(std::move(level));
  }
  p.num_boxes = boxes;
  return p;
}

}  // namespace kiln
