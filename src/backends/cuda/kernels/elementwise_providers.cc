// Kiln's own elementwise kernels: precompiled ones for the ONNX ops, NVRTC-generated ones for
// kiln.Pointwise (src/backends/cuda/kernels/elementwise/).
#include "backends/cuda/kernels/elementwise/elementwise_provider.h"

namespace kiln::cuda {

std::vector<const TacticProvider*> elementwise_providers() {
  return {&elementwise::elementwise_provider(), &elementwise::pointwise_provider()};
}

}  // namespace kiln::cuda
