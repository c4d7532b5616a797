// What a kiln.YoloDecode layer computes (formulas in detection_kiln_schemas.cc), read once from
// its attributes and input shapes for the schema, the reference kernel and the CUDA kernel.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/shape.h"
#include "ir/graph.h"

namespace kiln {

inline constexpr std::string_view kYoloDecodeOp = "YoloDecode";

enum class YoloVariant { kV3, kV5, kV8 };

// One detection head (input): a [N, channels, height, width] grid at `stride` pixels per cell.
struct YoloLevel {
  int64_t height = -1, width = -1;  // -1 while unknown (shape inference)
  float stride = 0;
  std::vector<float> anchors;       // (w, h) pairs in pixels; empty for v8
  int64_t first_box = 0;            // index of its first box in the outputs
};

struct YoloDecodeParams {
  YoloVariant variant = YoloVariant::kV5;
  int64_t num_classes = 0;
  int64_t num_anchors = 1;  // per level; 1 for v8
  bool center_boxes = false;  // box_format "center": (cx, cy, w, h); else corners (x1, y1, x2, y2)
  std::vector<YoloLevel> levels;
  int64_t num_boxes = -1;  // over all levels; -1 while a level's size is unknown

  // Channels per anchor: tx, ty, tw, th, objectness, classes (v3/v5); l, t, r, b, classes (v8).
  int64_t channels_per_anchor() const { return (variant == YoloVariant::kV8 ? 4 : 5) + num_classes; }
};

// Checks the attributes against the inputs' shapes (rank 4, channels, one batch size) and lays
// the levels out; unknown dims stay unknown.
Expected<YoloDecodeParams> read_yolo_decode_params(const Node& node, const std::vector<Shape>& inputs);

}  // namespace kiln
