#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

// Plugin layers (plugin/plugin_provider.cc): declared here rather than in layer_kernel.h, whose
// families are Kiln's own kernels.
std::vector<const TacticProvider*> plugin_providers();

const std::vector<const TacticProvider*>& all_providers() {
  static const std::vector<const TacticProvider*> providers = [] {
    std::vector<const TacticProvider*> all;
    for (auto family : {cudnn_providers, cublaslt_providers, elementwise_providers, data_movement_providers,
                        reduction_providers, plugin_providers, detection_providers})
      for (const TacticProvider* p : family()) all.push_back(p);
    return all;
  }();
  return providers;
}

}  // namespace kiln::cuda
