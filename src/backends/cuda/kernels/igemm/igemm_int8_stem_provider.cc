#include "backends/cuda/kernels/igemm/igemm_int8_stem_provider.h"

#include <memory>
#include <vector>

#include "backends/cuda/cudnn/space_to_depth_conv_kernel.h"
#include "backends/cuda/kernels/igemm/igemm_int8_conv_provider.h"

namespace kiln::cuda {

namespace {

// The layer and its rewrite, or unsupported(reason).
struct Int8Stem {
  ConvProblem problem;
  SpaceToDepthStem stem;
};

Expected<Int8Stem> int8_stem(const LayerSpec& spec) {
  if (spec.op == nullptr || !is_quantized_conv(*spec.op))
    return unsupported("the int8 space-to-depth stem runs kiln.QConv only");
  // Read in place, as igemm_int8_conv_provider.cc does (GCC 12 and the optional inside).
  const Expected<ConvProblem> problem = conv_problem(spec);
  if (!problem.ok()) return problem.status();
  if (spec.inputs[kQWeights]->host_constant == nullptr)
    return unsupported("the int8 space-to-depth stem rearranges constant weights; W is computed");
  const Expected<SpaceToDepthStem> stem = space_to_depth_stem(*problem);
  if (!stem.ok()) return stem.status();
  // The blocked convolution as it stands (16 channels a block) bounds the row form's checks: the
  // same pixels and output channels, no more taps.
  KILN_RETURN_IF_ERROR(igemm_int8_takes(stem->blocks));
  return Int8Stem{*problem, *stem};
}

class IgemmInt8StemProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "kiln_s2d_igemm_int8_conv"; }

  Status supports(const LayerSpec& spec) const override { return int8_stem(spec).status(); }

  // "kiln_s2d_igemm_int8_64x64x64_wgmma_bias_relu_to_int8".
  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext& device) const override {
    const Expected<Int8Stem> s = int8_stem(spec);
    if (!s.ok()) return s.status();
    if (s->stem.block_bytes() >= spec.workspace_limit)
      return unsupported("the blocked input needs {} bytes of workspace, over the limit of {}", s->stem.block_bytes(),
                         spec.workspace_limit);
    return igemm_int8_tactics("kiln_s2d_igemm_int8_", *s->problem.quant, device);
  }

  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext& device) const override {
    KILN_ASSIGN_OR_RETURN(IgemmTile tile, igemm_int8_tile(tactic, device));
    const Expected<Int8Stem> s = int8_stem(spec);
    if (!s.ok()) return s.status();
    // Only the reduction is rearranged: the per-channel weight scales, bias and epilogue are the layer's.
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<LayerKernel> conv,
                          make_igemm_int8_conv_kernel(spec, space_to_depth_row_geometry(s->stem), *s->problem.quant, tile));
    KILN_ASSIGN_OR_RETURN(DeviceBuffer weights,
                          upload_space_to_depth_weights(s->stem, s->problem, *spec.inputs[kQWeights]->host_constant));
    return std::unique_ptr<LayerKernel>(
        std::make_unique<SpaceToDepthConvKernel>(s->stem, std::move(weights), std::move(conv)));
  }
};

}  // namespace

const TacticProvider& igemm_int8_stem_provider() {
  static const IgemmInt8StemProvider provider;
  return provider;
}

}  // namespace kiln::cuda
