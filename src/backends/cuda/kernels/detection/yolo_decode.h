// kiln.YoloDecode on the GPU: one thread per (image, box) applies the formulas of
// ir/ops/kiln_detection_schemas.cc in float. Plain values only here (nvcc compiles this header);
// the provider fills them from YoloDecodeParams.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backends/cuda/kernels/detection/real_type.h"

namespace kiln::cuda::detection {

inline constexpr int kMaxYoloLevels = 16;
inline constexpr int kMaxYoloAnchors = 16;  // per level

enum class YoloFormula : int { kV3, kV5, kV8 };

struct YoloLevelShape {
  int64_t height = 0, width = 0, first_box = 0;
  float stride = 0;
  float anchors[2 * kMaxYoloAnchors] = {};  // (w, h) pairs
};

struct YoloDecodeShape {
  YoloLevelShape levels[kMaxYoloLevels];
  int num_levels = 0;
  YoloFormula formula = YoloFormula::kV5;
  int64_t num_anchors = 1, num_classes = 0, num_boxes = 0, batch = 0;
  bool center = false;
  RealType type = RealType::kFloat32;
};

struct YoloDecodeArgs {
  const void* heads[kMaxYoloLevels] = {};
  void* boxes = nullptr;   // [batch, num_boxes, 4]
  void* scores = nullptr;  // [batch, num_boxes, num_classes]
};

cudaError_t launch_yolo_decode(const YoloDecodeShape& shape, const YoloDecodeArgs& args, cudaStream_t stream);

}  // namespace kiln::cuda::detection
