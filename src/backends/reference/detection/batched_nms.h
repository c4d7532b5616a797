// kiln.BatchedNMS as a plain function (semantics in ir/ops/kiln_detection_schemas.cc): which
// (box, class) detections each image keeps, in output order. The CUDA kernel
// (backends/cuda/kernels/detection/batched_nms.cu) matches it exactly.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/ops/batched_nms_params.h"

namespace kiln::detection {

struct Detection {
  float score = 0.f;
  int64_t box = 0;
  int64_t cls = 0;
};

// The detection order: score descending, then lower box index, then lower class.
inline bool detected_before(const Detection& a, const Detection& b) {
  if (a.score != b.score) return a.score > b.score;
  return a.box != b.box ? a.box < b.box : a.cls < b.cls;
}

// boxes: [N, B, 4] when p.shared_boxes, else [N, B, C, 4]; scores [N, B, C]; both read as float.
// Returns per image its at most keep_top_k detections, in the detection order.
std::vector<std::vector<Detection>> batched_nms_reference(const float* boxes, const float* scores,
                                                          const BatchedNmsParams& p);

}  // namespace kiln::detection
