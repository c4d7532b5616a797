// The providers of Kiln's own elementwise kernels.
#pragma once

#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda::elementwise {

// ONNX elementwise ops (domain ""): unary math, activations, broadcasting binary and variadic
// ops, Where, Clip, Cast/CastLike, Identity and inference Dropout; one precompiled kernel each
// (tactic kiln_elementwise_<op>_<dtype>).
const TacticProvider& elementwise_provider();

// kiln.Pointwise: the whole body as one kernel generated as CUDA C++ and compiled by NVRTC
// (tactic kiln_pointwise_<dtype>_<source hash>).
const TacticProvider& pointwise_provider();

}  // namespace kiln::cuda::elementwise
