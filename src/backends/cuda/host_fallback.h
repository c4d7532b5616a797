// The host fallback: a layer no CUDA tactic supports runs on the host with its reference kernel,
// its inputs copied there and its outputs back. It is correct, slow, and cannot be captured into
// a CUDA graph; the build report lists every layer that uses it, and
// BuilderConfig::allow_host_fallback = false turns it into a build error.
#pragma once

#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

const TacticProvider& host_fallback_provider();

}  // namespace kiln::cuda
