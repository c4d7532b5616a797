// ONNX NonMaxSuppression as a plain function: the reference kernel's algorithm, which the CUDA
// kernel (backends/cuda/kernels/detection/onnx_nms.cu) reproduces exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace kiln::detection {

struct OnnxNmsParams {
  int64_t batches = 0, classes = 0, spatial = 0;
  bool center_point_box = false;
  double max_output_boxes_per_class = 0;
  double iou_threshold = 0;
  std::optional<double> score_threshold;
};

// boxes [batches, spatial, 4] ([y1, x1, y2, x2] with either corner first, or [x_center,
// y_center, width, height]), scores [batches, classes, spatial], in double. Per batch, then per
// class: the boxes scoring above score_threshold (every box when there is none), best first, ties
// by lower box index (a stable sort), each kept unless its IoU (box_math.h, in double) with an
// already kept box exceeds iou_threshold, up to max_output_boxes_per_class. Returns the kept
// (batch, class, box) triples in that order, flattened.
std::vector<int64_t> onnx_nms_reference(const double* boxes, const double* scores, const OnnxNmsParams& p);

}  // namespace kiln::detection
