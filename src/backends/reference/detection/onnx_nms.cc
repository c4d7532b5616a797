#include "backends/reference/detection/onnx_nms.h"

#include <algorithm>

#include "backends/reference/detection/box_math.h"

namespace kiln::detection {

namespace {

Corners<double> read_box(const double* b, bool center_point) {
  if (center_point) return corners_from_center(b[0], b[1], b[2], b[3]);
  return corners_from_xyxy(b[1], b[0], b[3], b[2]);
}

}  // namespace

std::vector<int64_t> onnx_nms_reference(const double* boxes, const double* scores, const OnnxNmsParams& p) {
  const int64_t limit = static_cast<int64_t>(std::max(0.0, p.max_output_boxes_per_class));
  std::vector<int64_t> selected;
  std::vector<int64_t> order;
  std::vector<Corners<double>> bs(static_cast<size_t>(p.spatial));
  for (int64_t b = 0; b < p.batches; ++b) {
    for (int64_t i = 0; i < p.spatial; ++i)
      bs[static_cast<size_t>(i)] = read_box(&boxes[static_cast<size_t>((b * p.spatial + i) * 4)], p.center_point_box);
    for (int64_t c = 0; c < p.classes; ++c) {
      const double* s = &scores[static_cast<size_t>((b * p.classes + c) * p.spatial)];
      order.clear();
      for (int64_t i = 0; i < p.spatial; ++i)
        if (!p.score_threshold || s[i] > *p.score_threshold) order.push_back(i);
      std::stable_sort(order.begin(), order.end(), [&](int64_t l, int64_t r) { return s[l] > s[r]; });
      std::vector<int64_t> kept;
      for (int64_t i : order) {
        if (static_cast<int64_t>(kept.size()) >= limit) break;
        bool suppressed = false;
        for (int64_t k : kept)
          suppressed = suppressed || iou(bs[static_cast<size_t>(i)], bs[static_cast<size_t>(k)]) > p.iou_threshold;
        if (suppressed) continue;
        kept.push_back(i);
        selected.insert(selected.end(), {b, c, i});
      }
    }
  }
  return selected;
}

}  // namespace kiln::detection
