// The cuDNN family: 2-D convolutions (Conv, kiln.FusedConv; channels-last or NCHW) and NCHW
// ConvTranspose (as a backward-data convolution) through cuDNN 9's graph API, the epilogue fused
// into cuDNN's engines where they can run it.
#include "backends/cuda/cudnn/conv_kernel.h"
#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

namespace {

class CudnnConvProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "cudnn_conv"; }

  Status supports(const LayerSpec& spec) const override { return conv_problem(spec).status(); }

  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext& dev) const override {
    KILN_ASSIGN_OR_RETURN(ConvProblem problem, conv_problem(spec));
    if (dev.cudnn == nullptr) return invalid_argument("the device context has no cuDNN handle");
    return conv_tactics(dev.cudnn, problem, spec.allow_tf32, spec.workspace_limit);
  }

  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext& dev) const override {
    KILN_ASSIGN_OR_RETURN(ConvProblem problem, conv_problem(spec));
    if (dev.cudnn == nullptr) return invalid_argument("the device context has no cuDNN handle");
    KILN_ASSIGN_OR_RETURN(ConvTacticKey key, decode_conv_tactic(tactic.id));
    KILN_ASSIGN_OR_RETURN(PlannedConv planned, plan_conv_tactic(dev.cudnn, problem, key, spec.allow_tf32));
    return std::unique_ptr<LayerKernel>(std::make_unique<CudnnConvKernel>(problem, std::move(planned)));
  }
};

}  // namespace

std::vector<const TacticProvider*> cudnn_providers() {
  static const CudnnConvProvider conv;
  return {&conv};
}

}  // namespace kiln::cuda
