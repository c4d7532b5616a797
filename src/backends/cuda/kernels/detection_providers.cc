// Kiln's detection kernels (kernels/detection/): YOLO decoding, kiln.BatchedNMS and ONNX
// NonMaxSuppression.
#include "backends/cuda/kernels/detection/providers.h"

namespace kiln::cuda {

std::vector<const TacticProvider*> detection_providers() {
  return {detection::yolo_decode_provider(), detection::batched_nms_provider(), detection::onnx_nms_provider()};
}

}  // namespace kiln::cuda
