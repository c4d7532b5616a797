// The detection providers (kernels/detection/), one per file.
#pragma once

#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda::detection {

const TacticProvider* yolo_decode_provider();
const TacticProvider* batched_nms_provider();
const TacticProvider* onnx_nms_provider();

}  // namespace kiln::cuda::detection
