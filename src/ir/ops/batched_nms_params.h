// What a kiln.BatchedNMS layer computes (semantics in detection_kiln_schemas.cc), read once from
// its attributes and input shapes for the schema, the reference kernel and the CUDA kernel.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "core/shape.h"
#include "ir/graph.h"

namespace kiln {

inline constexpr std::string_view kBatchedNmsOp = "BatchedNMS";

struct BatchedNmsParams {
  // -1 while unknown (shape inference).
  int64_t batch = -1, num_boxes = -1, num_classes = -1;
  bool shared_boxes = true;  // boxes [N, B, 4] or [N, B, 1, 4]; else [N, B, C, 4], one box per class
  float score_threshold = 0.f;
  float iou_threshold = 0.5f;
  int64_t top_k = -1;  // candidates per class (per image when class-agnostic) before NMS; -1: all
  int64_t keep_top_k = 100;  // detections per image
  bool class_agnostic = false;
  bool center_boxes = false;  // box_encoding "center": (cx, cy, w, h); else corners (x1, y1, x2, y2)
};

// Checks the attributes and the shapes of boxes and scores (unknown dims stay -1).
Expected<BatchedNmsParams> read_batched_nms_params(const Node& node, const Shape& boxes, const Shape& scores);

}  // namespace kiln
