// kiln.BatchedNMS on the GPU, matching the reference (backends/reference/detection/batched_nms.h)
// bit for bit: scores sorted per group (candidate_sort.h), the greedy pass in float
// (nms_common.cuh), then per image every kept detection finds its output slot by counting the
// kept detections of the other classes that come before it (binary searches: each class's list
// is already in the detection order). Plain values only here (nvcc compiles this header); the
// provider fills them from BatchedNmsParams.
#pragma once

#include <cuda_runtime.h>

#include "backends/cuda/kernels/detection/candidate_sort.h"
#include "backends/cuda/kernels/detection/real_type.h"

namespace kiln::cuda::detection {

struct BatchedNmsShape {
  int64_t batch = 0, num_boxes = 0, num_classes = 0;
  bool shared_boxes = true, center_boxes = false, class_agnostic = false;
  float score_threshold = 0.f, iou_threshold = 0.f;
  int64_t top_k = -1, keep_top_k = 0;
  RealType box_type = RealType::kFloat32, score_type = RealType::kFloat32;
};

NmsSizes batched_nms_sizes(const BatchedNmsShape& shape);

struct BatchedNmsArgs {
  const void* boxes = nullptr;
  const void* scores = nullptr;
  int32_t* num_detections = nullptr;  // [N]
  void* out_boxes = nullptr;          // [N, keep_top_k, 4], the boxes' type
  void* out_scores = nullptr;         // [N, keep_top_k], the scores' type
  int32_t* out_classes = nullptr;     // [N, keep_top_k]
  void* workspace = nullptr;          // nms_workspace_bytes(sizes)
};

cudaError_t launch_batched_nms(const BatchedNmsShape& shape, const NmsSizes& sizes, const BatchedNmsArgs& args,
                               cudaStream_t stream);

}  // namespace kiln::cuda::detection
