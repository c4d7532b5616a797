#include "backends/reference/detection/yolo_decode.h"

#include <cmath>

namespace kiln::detection {

namespace {

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// The box of one anchor at one cell: corners, or center and size, as box_format asks.
void write_box(const YoloDecodeParams& p, double cx, double cy, double w, double h, double* out) {
  if (p.center_boxes) {
    out[0] = cx, out[1] = cy, out[2] = w, out[3] = h;
  } else {
    out[0] = cx - w / 2, out[1] = cy - h / 2, out[2] = cx + w / 2, out[3] = cy + h / 2;
  }
}

void write_corners(const YoloDecodeParams& p, double x1, double y1, double x2, double y2, double* out) {
  if (p.center_boxes) {
    out[0] = (x1 + x2) / 2, out[1] = (y1 + y2) / 2, out[2] = x2 - x1, out[3] = y2 - y1;
  } else {
    out[0] = x1, out[1] = y1, out[2] = x2, out[3] = y2;
  }
}

}  // namespace

void yolo_decode_reference(const std::vector<const double*>& heads, int64_t batch, const YoloDecodeParams& p,
                           double* boxes, double* scores) {
  const int64_t per_anchor = p.channels_per_anchor(), classes = p.num_classes;
  for (size_t l = 0; l < p.levels.size(); ++l) {
    const YoloLevel& level = p.levels[l];
    const int64_t plane = level.height * level.width;
    const double s = level.stride;
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t a = 0; a < p.num_anchors; ++a)
        for (int64_t y = 0; y < level.height; ++y)
          for (int64_t x = 0; x < level.width; ++x) {
            // channel k of this anchor at (y, x)
            const double* at = heads[l] + ((n * p.num_anchors + a) * per_anchor) * plane + y * level.width + x;
            auto ch = [&](int64_t k) { return at[k * plane]; };
            const int64_t box = level.first_box + (a * level.height + y) * level.width + x;
            double* box_out = boxes + (n * p.num_boxes + box) * 4;
            double* score_out = scores + (n * p.num_boxes + box) * classes;
            const auto gx = static_cast<double>(x), gy = static_cast<double>(y);
            if (p.variant == YoloVariant::kV8) {
              write_corners(p, (gx + 0.5 - ch(0)) * s, (gy + 0.5 - ch(1)) * s, (gx + 0.5 + ch(2)) * s,
                            (gy + 0.5 + ch(3)) * s, box_out);
              for (int64_t c = 0; c < classes; ++c) score_out[c] = sigmoid(ch(4 + c));
              continue;
            }
            const double aw = level.anchors[static_cast<size_t>(2 * a)], ah = level.anchors[static_cast<size_t>(2 * a + 1)];
            if (p.variant == YoloVariant::kV3) {
              write_box(p, (sigmoid(ch(0)) + gx) * s, (sigmoid(ch(1)) + gy) * s, aw * std::exp(ch(2)),
                        ah * std::exp(ch(3)), box_out);
            } else {
              const double tw = 2 * sigmoid(ch(2)), th = 2 * sigmoid(ch(3));
              write_box(p, (2 * sigmoid(ch(0)) - 0.5 + gx) * s, (2 * sigmoid(ch(1)) - 0.5 + gy) * s, aw * tw * tw,
                        ah * th * th, box_out);
            }
            const double objectness = sigmoid(ch(4));
            for (int64_t c = 0; c < classes; ++c) score_out[c] = objectness * sigmoid(ch(5 + c));
          }
  }
}

}  // namespace kiln::detection
