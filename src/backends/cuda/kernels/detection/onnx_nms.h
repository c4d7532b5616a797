// ONNX NonMaxSuppression on the GPU, with exactly the reference's results and order
// (backends/reference/detection/onnx_nms.h): scores sorted per (batch, class) (candidate_sort.h),
// the greedy pass in double (nms_common.cuh), then the selections packed in (batch, class) order
// into an output sized for the most there can be, with their count on the device.
// (NaN scores with no score threshold are the one exception: the reference's order for them is
// unspecified; here they sort by their sign bit: ahead of every number, or after it.)
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backends/cuda/kernels/detection/candidate_sort.h"
#include "backends/cuda/kernels/detection/real_type.h"

namespace kiln::cuda::detection {

struct OnnxNmsShape {
  int64_t batches = 0, classes = 0, spatial = 0;
  bool center_point_box = false;
  RealType box_type = RealType::kFloat32, score_type = RealType::kFloat32;
  RealType iou_type = RealType::kFloat32, score_threshold_type = RealType::kFloat32;
  // Kept slots per (batch, class): min(spatial, max_output_boxes_per_class) when that is known
  // at create(), else spatial.
  int64_t capacity = 0;
};

// The sizes of the workspace the launch needs (prepare them with prepare_nms_sizes).
NmsSizes onnx_nms_sizes(const OnnxNmsShape& shape);

struct OnnxNmsArgs {
  const void* boxes = nullptr;
  const void* scores = nullptr;
  const int64_t* max_output_boxes_per_class = nullptr;  // optional inputs: null when absent
  const void* iou_threshold = nullptr;
  const void* score_threshold = nullptr;
  int64_t* selected = nullptr;  // [batches * classes * capacity, 3]
  int64_t* count = nullptr;     // rows written; -1 when iou_threshold is outside [0, 1]
  void* workspace = nullptr;    // nms_workspace_bytes(sizes)
};

cudaError_t launch_onnx_nms(const OnnxNmsShape& shape, const NmsSizes& sizes, const OnnxNmsArgs& args,
                            cudaStream_t stream);

}  // namespace kiln::cuda::detection
