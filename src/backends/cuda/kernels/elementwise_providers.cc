// Kiln's own elementwise kernels: precompiled ones for the ONNX ops, NVRTC-generated ones for
// kiln.Pointwise (src/backends/cuda/kernels/elementwise/), and the linear (de)quantization ops
// with the fused kiln.QuantizeTranspose (src/backends/cuda/kernels/quantize/).
#include "backends/cuda/kernels/elementwise/elementwise_provider.h"
#include "backends/cuda/kernels/quantize/quantize_provider.h"

namespace kiln::cuda {

std::vector<const TacticProvider*> elementwise_providers() {
  return {&elementwise::elementwise_provider(), &elementwise::pointwise_provider(),
          &quantize::quantize_provider(), &quantize::quantize_transpose_provider()};
}

}  // namespace kiln::cuda
