// The cuDNN family: 2-D convolutions (Conv, kiln.FusedConv, kiln.QConv; channels-last or NCHW) and
// NCHW ConvTranspose (as a backward-data convolution) through cuDNN 9's graph API, the epilogue
// fused into cuDNN's engines where they can run it; and Kiln's direct quantized convolution, which
// runs any kiln.QConv or kiln.QMatMul that the library tactics refuse.
#include "backends/cuda/cudnn/conv_kernel.h"
#include "backends/cuda/cudnn/direct_quantized_provider.h"
#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

namespace {

// cuDNN's int8 convolutions read channels-last data in 4-channel (32-bit) vectors: each group's
// input and output channel counts must be multiples of 4 (the lowering may pad them).
constexpr int64_t kInt8ChannelMultiple = 4;

Expected<ConvProblem> cudnn_conv_problem(const LayerSpec& spec) {
  KILN_ASSIGN_OR_RETURN(ConvProblem p, conv_problem(spec));
  if (p.quant) {
    const int64_t in = p.in_channels / p.group, out = p.out_channels / p.group;
    if (in % kInt8ChannelMultiple != 0 || out % kInt8ChannelMultiple != 0)
      return unsupported("cuDNN's int8 convolutions need multiples of {} input and output channels per group, got {} "
                         "and {}",
                         kInt8ChannelMultiple, in, out);
  }
  return p;
}

class CudnnConvProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "cudnn_conv"; }

  Status supports(const LayerSpec& spec) const override { return cudnn_conv_problem(spec).status(); }

  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext& dev) const override {
    KILN_ASSIGN_OR_RETURN(ConvProblem problem, cudnn_conv_problem(spec));
    if (dev.cudnn == nullptr) return invalid_argument("the device context has no cuDNN handle");
    return conv_tactics(dev.cudnn, problem, spec.allow_tf32, spec.workspace_limit);
  }

  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext& dev) const override {
    KILN_ASSIGN_OR_RETURN(ConvProblem problem, cudnn_conv_problem(spec));
    if (dev.cudnn == nullptr) return invalid_argument("the device context has no cuDNN handle");
    KILN_ASSIGN_OR_RETURN(ConvTacticKey key, decode_conv_tactic(tactic.id));
    KILN_ASSIGN_OR_RETURN(PlannedConv planned, plan_conv_tactic(dev.cudnn, problem, key, spec.allow_tf32));
    std::optional<QuantizedScales> scales;
    if (problem.quant) {
      KILN_ASSIGN_OR_RETURN(scales, QuantizedScales::upload(*problem.quant));
    }
    return std::unique_ptr<LayerKernel>(std::make_unique<CudnnConvKernel>(problem, std::move(planned), std::move(scales)));
  }
};

}  // namespace

std::vector<const TacticProvider*> cudnn_providers() {
  static const CudnnConvProvider conv;
  return {&conv, &direct_quantized_provider()};
}

}  // namespace kiln::cuda
