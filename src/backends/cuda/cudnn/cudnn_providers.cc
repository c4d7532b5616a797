// The cuDNN family: 2-D convolutions (Conv, kiln.FusedConv, kiln.QConv; channels-last or NCHW) and
// NCHW ConvTranspose (as a backward-data convolution) through cuDNN 9's graph API, the epilogue
// fused into cuDNN's engines where they can run it; E4M3 kiln.QConv the same way on cuDNN's FP8
// convolutions (a provider of its own); and Kiln's direct quantized convolution, which
// runs any kiln.QConv or kiln.QMatMul that the library tactics refuse; Kiln's depthwise
// convolution, timed against cuDNN's tactics for the layers it takes; Kiln's int8
// implicit-GEMM convolution on the tensor cores, timed against cuDNN's int8 tactics; and the int8
// space-to-depth stem on that implicit GEMM, timed against the direct kernel.
#include "backends/cuda/cudnn/conv_kernel.h"
#include "backends/cuda/cudnn/direct_quantized_provider.h"
#include "backends/cuda/cudnn/space_to_depth_conv_kernel.h"
#include "backends/cuda/kernels/depthwise/depthwise_conv_provider.h"
#include "backends/cuda/kernels/igemm/halo_igemm_int8_conv_provider.h"
#include "backends/cuda/kernels/igemm/igemm_int8_conv_provider.h"
#include "backends/cuda/kernels/igemm/igemm_int8_shortcut_provider.h"
#include "backends/cuda/kernels/igemm/igemm_int8_stem_provider.h"
#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

namespace {

// cuDNN's int8 convolutions read channels-last data in 4-channel (32-bit) vectors: each group's
// input and output channel counts must be multiples of 4 (the lowering may pad them).
constexpr int64_t kInt8ChannelMultiple = 4;
// Its FP8 convolutions (Hopper's FP8 tensor cores) read channels in 16-byte units; the FP8
// calibration quantizes only layers whose channel counts are such multiples.
constexpr int64_t kFp8ChannelMultiple = 16;

Status check_channel_multiple(const ConvProblem& p, int64_t multiple, std::string_view operands) {
  const int64_t in = p.in_channels / p.group, out = p.out_channels / p.group;
  if (in % multiple != 0 || out % multiple != 0)
    return unsupported("cuDNN's {} convolutions need multiples of {} input and output channels per group, got {} and {}",
                       operands, multiple, in, out);
  return Status::Ok();
}

// Float layers and int8 kiln.QConv.
Expected<ConvProblem> cudnn_conv_problem(const LayerSpec& spec) {
  KILN_ASSIGN_OR_RETURN(ConvProblem p, conv_problem(spec));
  if (p.quant) KILN_RETURN_IF_ERROR(check_channel_multiple(p, kInt8ChannelMultiple, "int8"));
  return p;
}

// E4M3 kiln.QConv (float output): conv_fprop in FP32 over E4M3 X and W, then the quantized
// epilogue, as for int8 (conv_graph.h).
Expected<ConvProblem> cudnn_fp8_conv_problem(const LayerSpec& spec) {
  if (spec.op == nullptr || !is_quantized_conv(*spec.op))
    return unsupported("the cuDNN FP8 convolution runs kiln.QConv with float8e4m3 X and W only");
  KILN_ASSIGN_OR_RETURN(ConvProblem p, conv_problem(spec, DataType::kFloat8E4M3));
  if (p.group != 1) return unsupported("grouped FP8 convolutions (group {}) are not run on cuDNN", p.group);
  KILN_RETURN_IF_ERROR(check_channel_multiple(p, kFp8ChannelMultiple, "FP8"));
  return p;
}

// One cuDNN convolution provider per kind of layer it reads (`problem_of`); the graphs, tactics
// and kernels are the same.
class CudnnConvProvider final : public TacticProvider {
 public:
  using ProblemReader = Expected<ConvProblem> (*)(const LayerSpec&);
  CudnnConvProvider(std::string_view name, ProblemReader problem_of) : name_(name), problem_of_(problem_of) {}

  std::string_view name() const override { return name_; }

  Status supports(const LayerSpec& spec) const override { return problem_of_(spec).status(); }

  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext& dev) const override {
    KILN_ASSIGN_OR_RETURN(ConvProblem problem, problem_of_(spec));
    if (dev.cudnn == nullptr) return invalid_argument("the device context has no cuDNN handle");
    // Engines that compile their kernel at plan time stay in (the space-to-depth provider leaves
    // them out): cuDNN serves FP8 convolutions, and many fused epilogues, with its runtime-fusion
    // engines, which may be the only ones it offers.
    return conv_tactics(dev.cudnn, problem, spec.allow_tf32, spec.workspace_limit, /*allow_runtime_compiled=*/true);
  }

  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext& dev) const override {
    KILN_ASSIGN_OR_RETURN(ConvProblem problem, problem_of_(spec));
    if (dev.cudnn == nullptr) return invalid_argument("the device context has no cuDNN handle");
    KILN_ASSIGN_OR_RETURN(ConvTacticKey key, decode_conv_tactic(tactic.id));
    KILN_ASSIGN_OR_RETURN(PlannedConv planned, plan_conv_tactic(dev.cudnn, problem, key, spec.allow_tf32));
    std::optional<QuantizedScales> scales;
    if (problem.quant) {
      KILN_ASSIGN_OR_RETURN(scales, QuantizedScales::upload(*problem.quant));
    }
    return std::unique_ptr<LayerKernel>(std::make_unique<CudnnConvKernel>(problem, std::move(planned), std::move(scales)));
  }

 private:
  std::string_view name_;
  ProblemReader problem_of_;
};

// Few-channel stride-2 convolutions (image stems) as stride-1 convolutions over 2x2 blocks
// (space_to_depth_stem.h); timed against the plain cuDNN tactics like any candidate.
class SpaceToDepthConvProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "cudnn_s2d_conv"; }

  Status supports(const LayerSpec& spec) const override { return stem_of(spec).status(); }

  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext& dev) const override {
    KILN_ASSIGN_OR_RETURN(SpaceToDepthStem stem, stem_of(spec));
    if (dev.cudnn == nullptr) return invalid_argument("the device context has no cuDNN handle");
    if (stem.block_bytes() >= spec.workspace_limit)
      return unsupported("the blocked input needs {} bytes of workspace, over the limit of {}", stem.block_bytes(),
                         spec.workspace_limit);
    // Engines that compile at plan time made this layer's tuning take minutes: not worth it here.
    KILN_ASSIGN_OR_RETURN(std::vector<Tactic> tactics,
                          conv_tactics(dev.cudnn, stem.blocks, spec.allow_tf32, spec.workspace_limit - stem.block_bytes(),
                                       /*allow_runtime_compiled=*/false));
    for (Tactic& t : tactics) t.name = "cudnn_s2d_" + t.name.substr(t.name.find("conv_"));
    return tactics;
  }

  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext& dev) const override {
    KILN_ASSIGN_OR_RETURN(SpaceToDepthStem stem, stem_of(spec));
    if (dev.cudnn == nullptr) return invalid_argument("the device context has no cuDNN handle");
    KILN_ASSIGN_OR_RETURN(ConvProblem problem, conv_problem(spec));
    KILN_ASSIGN_OR_RETURN(ConvTacticKey key, decode_conv_tactic(tactic.id));
    return make_space_to_depth_conv(dev.cudnn, problem, stem, *spec.inputs[1]->host_constant, key, spec.allow_tf32);
  }

 private:
  static Expected<SpaceToDepthStem> stem_of(const LayerSpec& spec) {
    KILN_ASSIGN_OR_RETURN(ConvProblem problem, conv_problem(spec));
    if (problem.quant.has_value())
      return unsupported("the cuDNN space-to-depth stem runs float layers; kiln_s2d_igemm_int8_conv runs int8 ones");
    if (spec.inputs[1]->host_constant == nullptr)
      return unsupported("the space-to-depth stem rearranges constant weights; W is computed");
    return space_to_depth_stem(problem);
  }
};

}  // namespace

std::vector<const TacticProvider*> cudnn_providers() {
  static const CudnnConvProvider conv("cudnn_conv", cudnn_conv_problem);
  static const CudnnConvProvider fp8_conv("cudnn_fp8_conv", cudnn_fp8_conv_problem);
  static const SpaceToDepthConvProvider space_to_depth_conv;
  // cudnn_conv_test.cc finds the first four by position.
  return {&conv, &space_to_depth_conv, &direct_quantized_provider(), &depthwise_conv_provider(), &fp8_conv,
          &igemm_int8_conv_provider(), &igemm_int8_stem_provider(), &halo_igemm_int8_conv_provider(),
          &igemm_int8_shortcut_provider()};
}

}  // namespace kiln::cuda
