#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

const std::vector<const TacticProvider*>& all_providers() {
  static const std::vector<const TacticProvider*> providers = [] {
    std::vector<const TacticProvider*> all;
    for (auto family : {cudnn_providers, cublaslt_providers, elementwise_providers, data_movement_providers,
                        reduction_providers, detection_providers})
      for (const TacticProvider* p : family()) all.push_back(p);
    return all;
  }();
  return providers;
}

}  // namespace kiln::cuda
