#include "backends/reference/detection/batched_nms.h"

#include <algorithm>

#include "backends/reference/detection/box_math.h"

namespace kiln::detection {

namespace {

Corners<float> box_of(const float* b, bool center) {
  return center ? corners_from_center(b[0], b[1], b[2], b[3]) : corners_from_xyxy(b[0], b[1], b[2], b[3]);
}

}  // namespace

std::vector<std::vector<Detection>> batched_nms_reference(const float* boxes, const float* scores,
                                                          const BatchedNmsParams& p) {
  const int64_t nb = p.num_boxes, nc = p.num_classes;
  std::vector<std::vector<Detection>> result(static_cast<size_t>(p.batch));
  for (int64_t n = 0; n < p.batch; ++n) {
    auto box_at = [&](const Detection& d) {
      const int64_t slot = p.shared_boxes ? n * nb + d.box : (n * nb + d.box) * nc + d.cls;
      return box_of(boxes + slot * 4, p.center_boxes);
    };
    // Step 1 and 2 per group: a class, or the whole image.
    const int64_t groups = p.class_agnostic ? 1 : nc;
    std::vector<Detection> kept_all;
    for (int64_t g = 0; g < groups; ++g) {
      std::vector<Detection> candidates;
      for (int64_t b = 0; b < nb; ++b)
        for (int64_t c = 0; c < nc; ++c) {
          if (!p.class_agnostic && c != g) continue;
          const float s = scores[(n * nb + b) * nc + c];
          if (s > p.score_threshold) candidates.push_back({s, b, c});
        }
      std::sort(candidates.begin(), candidates.end(), detected_before);
      if (p.top_k > 0 && static_cast<int64_t>(candidates.size()) > p.top_k) candidates.resize(static_cast<size_t>(p.top_k));
      std::vector<Detection> kept;
      for (const Detection& d : candidates) {
        const Corners<float> box = box_at(d);
        bool suppressed = false;
        for (const Detection& k : kept) suppressed = suppressed || iou(box, box_at(k)) > p.iou_threshold;
        if (!suppressed) kept.push_back(d);
      }
      kept_all.insert(kept_all.end(), kept.begin(), kept.end());
    }
    // Step 3.
    std::sort(kept_all.begin(), kept_all.end(), detected_before);
    if (static_cast<int64_t>(kept_all.size()) > p.keep_top_k) kept_all.resize(static_cast<size_t>(p.keep_top_k));
    result[static_cast<size_t>(n)] = std::move(kept_all);
  }
  return result;
}

}  // namespace kiln::detection
