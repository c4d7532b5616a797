#include "backends/cuda/kernels/igemm/igemm_int8_conv_provider.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/cuda_check.h"

namespace kiln::cuda {

Status igemm_int8_takes(const ConvProblem& p) {
  if (p.group != 1) return unsupported("the int8 implicit GEMM runs ungrouped convolutions, not group {}", p.group);
  if (p.in_channels % kIgemmChannelMultiple != 0 || p.out_channels % kIgemmChannelMultiple != 0)
    return unsupported("the int8 implicit GEMM needs multiples of {} input and output channels, got {} and {}",
                       kIgemmChannelMultiple, p.in_channels, p.out_channels);
  if (p.kernel_h * p.kernel_w > kIgemmMaxTaps)
    return unsupported("the int8 implicit GEMM takes at most {} filter taps, not {}x{}", kIgemmMaxTaps, p.kernel_h,
                       p.kernel_w);
  // Pixels, rows and the pixel count index with 32 bits (element offsets with 64).
  constexpr int64_t kMaxIndex = std::numeric_limits<int32_t>::max();
  if (p.batch * p.in_h > kMaxIndex || p.batch * p.out_h * p.out_w > kMaxIndex)
    return unsupported("the int8 implicit GEMM counts pixels with 32 bits; {} images of {}x{} in or {}x{} out are too many",
                       p.batch, p.in_h, p.in_w, p.out_h, p.out_w);
  return Status::Ok();
}

std::vector<Tactic> igemm_int8_tactics(std::string_view prefix, const QuantizedParams& params,
                                       const DeviceContext& device) {
  std::vector<Tactic> tactics;
  for (IgemmTile tile : kIgemmTiles)
    if (igemm_tile_runs_on(tile, device.props.major, device.props.minor))
      tactics.push_back({std::string(prefix) + igemm_tile_name(tile) + params.slug(), static_cast<int64_t>(tile)});
  return tactics;
}

Expected<IgemmTile> igemm_int8_tile(const Tactic& tactic, const DeviceContext& device) {
  for (IgemmTile tile : kIgemmTiles) {
    if (static_cast<int64_t>(tile) != tactic.id) continue;
    if (!igemm_tile_runs_on(tile, device.props.major, device.props.minor))
      return unsupported("{} needs a compute capability 9.0 GPU (sm_90a), not {}.{}", tactic.name, device.props.major,
                         device.props.minor);
    return tile;
  }
  return invalid_argument("{} is not an int8 implicit-GEMM tactic id ({})", tactic.id, tactic.name);
}

Expected<ConvProblem> igemm_int8_conv_problem(const LayerSpec& spec) {
  if (spec.op == nullptr || !is_quantized_conv(*spec.op))
    return unsupported("the int8 implicit GEMM runs kiln.QConv only");
  // Read in place: moving the problem out of its Expected trips GCC 12's maybe-uninitialized
  // analysis of the optional inside.
  Expected<ConvProblem> problem = conv_problem(spec);
  if (problem.ok()) KILN_RETURN_IF_ERROR(igemm_int8_takes(*problem));
  return problem;
}

std::vector<float> igemm_channel_pairs(const std::vector<float>& scale_shift) {
  const size_t channels = scale_shift.size() / 2;
  const size_t padded = (channels + kIgemmFoldedChannelPad - 1) / kIgemmFoldedChannelPad * kIgemmFoldedChannelPad;
  std::vector<float> pairs(2 * padded, 0.f);
  for (size_t k = 0; k < channels; ++k) {
    pairs[2 * (k & ~size_t{1}) + (k & 1)] = scale_shift[k];                 // the pair's scales
    pairs[2 * (k & ~size_t{1}) + 2 + (k & 1)] = scale_shift[channels + k];  // then its shifts
  }
  return pairs;
}

namespace {

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

class IgemmInt8LayerKernel final : public LayerKernel {
 public:
  IgemmInt8LayerKernel(QuantizedParams params, IgemmLaunch launch, QuantizedScales scales, DeviceBuffer scale_shift,
                       FoldedEpilogue folded)
      : params_(std::move(params)),
        launch_(std::move(launch)),
        scales_(std::move(scales)),
        scale_shift_(std::move(scale_shift)),
        folded_(std::move(folded)) {}

  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override {
    if (inputs.size() <= kQWeights || inputs[kQInput] == nullptr || inputs[kQWeights] == nullptr ||
        outputs.empty() || outputs[0] == nullptr)
      return invalid_argument("the int8 implicit GEMM is missing a tensor's device pointer");
    // cp.async moves 16-byte vectors; Kiln's arena and weights are 256-byte aligned.
    if (!aligned16(inputs[kQInput]) || !aligned16(inputs[kQWeights]) || !aligned16(outputs[0]))
      return invalid_argument("the int8 implicit GEMM needs 16-byte aligned X, W and Y");
    IgemmLaunchArgs args;
    args.x = static_cast<const int8_t*>(inputs[kQInput]);
    args.w = static_cast<const int8_t*>(inputs[kQWeights]);
    args.epilogue = scales_.epilogue(params_, inputs);
    args.y = outputs[0];
    // The folded epilogue where the layer has one and its residual takes 16-byte loads.
    const void* residual = params_.has_residual && inputs.size() > kQResidual ? inputs[kQResidual] : nullptr;
    if (scale_shift_.get() != nullptr && (residual == nullptr || aligned16(residual))) {
      args.folded.channel_pairs = static_cast<const float4*>(scale_shift_.get());
      args.folded.residual = static_cast<const int8_t*>(residual);
      args.folded.residual_ratio = folded_.residual_ratio;
      args.folded.lower = folded_.relu ? 0.f : -128.f;
    }
    return launch_(args, env.stream);
  }

 private:
  QuantizedParams params_;
  IgemmLaunch launch_;
  QuantizedScales scales_;
  DeviceBuffer scale_shift_;  // the folded epilogue's vectors, where the layer folds
  FoldedEpilogue folded_;
};

class IgemmInt8ConvProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "kiln_igemm_int8_conv"; }

  Status supports(const LayerSpec& spec) const override { return igemm_int8_conv_problem(spec).status(); }

  // "kiln_igemm_int8_128x128x64_bias_relu_to_int8": the tile, then the epilogue.
  // The wgmma tiles only where the device runs sm_90a code.
  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext& device) const override {
    const Expected<ConvProblem> problem = igemm_int8_conv_problem(spec);
    if (!problem.ok()) return problem.status();
    return igemm_int8_tactics("kiln_igemm_int8_", *problem->quant, device);
  }

  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext& device) const override {
    KILN_ASSIGN_OR_RETURN(IgemmTile tile, igemm_int8_tile(tactic, device));
    const Expected<ConvProblem> problem = igemm_int8_conv_problem(spec);
    if (!problem.ok()) return problem.status();
    return make_igemm_int8_conv_kernel(spec, conv_geometry32(*problem), *problem->quant, tile);
  }
};

}  // namespace

Expected<std::unique_ptr<LayerKernel>> make_igemm_int8_layer_kernel(const LayerSpec& spec,
                                                                    const QuantizedParams& params,
                                                                    IgemmLaunch launch) {
  KILN_ASSIGN_OR_RETURN(QuantizedScales scales, QuantizedScales::upload(params));
  FoldedEpilogue folded;
  DeviceBuffer scale_shift;
  if (folds_per_channel(spec, params)) {
    KILN_ASSIGN_OR_RETURN(folded, folded_epilogue(spec, params));
    const std::vector<float> pairs = igemm_channel_pairs(folded.scale_shift);
    KILN_ASSIGN_OR_RETURN(scale_shift, DeviceBuffer::upload(pairs.data(), pairs.size() * sizeof(float)));
  }
  return std::unique_ptr<LayerKernel>(std::make_unique<IgemmInt8LayerKernel>(
      params, std::move(launch), std::move(scales), std::move(scale_shift), std::move(folded)));
}

Expected<std::unique_ptr<LayerKernel>> make_igemm_int8_conv_kernel(const LayerSpec& spec,
                                                                   const IgemmInt8Conv& geometry,
                                                                   const QuantizedParams& params, IgemmTile tile) {
  KILN_CUDA_CHECK(prepare_igemm_int8_conv(tile));
  return make_igemm_int8_layer_kernel(spec, params,
                                      [geometry, tile](const IgemmLaunchArgs& a, cudaStream_t stream) -> Status {
                                        KILN_CUDA_CHECK(launch_igemm_int8_conv(geometry, tile, a.x, a.w, a.epilogue,
                                                                               a.folded, a.y, stream));
                                        return Status::Ok();
                                      });
}

const TacticProvider& igemm_int8_conv_provider() {
  static const IgemmInt8ConvProvider provider;
  return provider;
}

}  // namespace kiln::cuda
