// Kiln's own reduction-family kernels (src/backends/cuda/kernels/reduce/).
#include "backends/cuda/kernels/reduce/providers.h"

namespace kiln::cuda {

std::vector<const TacticProvider*> reduction_providers() {
  return {reduce::reduce_provider(), reduce::softmax_provider(), reduce::norm_provider(), reduce::pool_provider(),
          reduce::cumsum_provider(), reduce::topk_provider(), reduce::loss_provider()};
}

}  // namespace kiln::cuda
