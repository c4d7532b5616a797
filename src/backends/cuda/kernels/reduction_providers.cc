// Placeholder until this family's providers land.
#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

std::vector<const TacticProvider*> reduction_providers() { return {}; }

}  // namespace kiln::cuda
