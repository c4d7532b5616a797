#include "backends/cuda/kernels/igemm/igemm_int8_stem_provider.h"

#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cudnn/space_to_depth_conv_kernel.h"
#include "backends/cuda/kernels/igemm/halo_igemm_int8_conv_provider.h"
#include "backends/cuda/kernels/igemm/igemm_int8_conv_provider.h"
#include "backends/cuda/kernels/igemm/stem_pool_igemm_int8_conv.h"
#include "ir/ops/conv_geometry.h"

namespace kiln::cuda {

namespace {

// The halo tiles' tactic ids follow the implicit GEMM's (IgemmTile values) from here; the pooled
// kernel's are this base plus its strip's pooled rows.
constexpr int64_t kHaloTacticBase = 100;
constexpr int64_t kPoolTacticBase = 200;

// The layer's convolution alone: `spec` with Y the convolution's output (channels-last) where the
// wrapper's body pools it (LayerSpec::pool), `spec` itself otherwise.
Expected<LayerSpec> conv_part(const LayerSpec& spec) {
  if (spec.pool == nullptr) return spec;
  if (spec.op == nullptr || !spec.channels_last || !spec.has_input(kQInput) || !spec.has_input(kQWeights) ||
      spec.outputs.size() != 1 || spec.inputs[kQInput]->dims.size() != 4 || spec.inputs[kQWeights]->dims.size() != 4)
    return unsupported("the pooled int8 stem runs a channels-last 2-D kiln.QConv and one output");
  const std::vector<int64_t>& x = spec.inputs[kQInput]->dims;  // [N, H, W, C]
  const std::vector<int64_t>& w = spec.inputs[kQWeights]->dims;  // [K, R, S, C]
  KILN_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(*spec.op, {x[1], x[2]}, {w[1], w[2]}, false));
  LayerSpec conv = spec;
  conv.pool = nullptr;
  conv.outputs[0].dims = {x[0], g.output[0], g.output[1], w[0]};
  return conv;
}

// The pooled kernel's pool alone: a MaxPool of 3x3, stride 2, pads 1, no dilation, rounding
// down, over an oh x ow map: what gives stem_pool_tiling's pool_h x pool_w.
Status pool_geometry_takes(const Node& pool, int64_t oh, int64_t ow) {
  if (pool.op_type() != "MaxPool" || !pool.domain().empty() || pool.outputs().size() > 1)
    return unsupported("the pooled int8 stem pools with a MaxPool of one output, not {}", pool.op_type());
  KILN_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(pool, {oh, ow}, {-1, -1}, false));
  const std::vector<int64_t> ones{1, 1}, twos{2, 2}, threes{3, 3};
  if (g.kernel != threes || g.strides != twos || g.dilations != ones || g.pads_begin != ones || g.pads_end != ones)
    return unsupported("the pooled int8 stem pools 3x3 windows, stride 2, pads 1, no dilation");
  if (g.output != std::vector<int64_t>{(oh - 1) / 2 + 1, (ow - 1) / 2 + 1})
    return unsupported("the pooled int8 stem rounds the pooled size down (ceil_mode 0)");
  return Status::Ok();
}

// pool_geometry_takes over the channels-last conv output `conv`, whose pooled output is `pooled`.
Status pool_takes(const Node& pool, const std::vector<int64_t>& conv, const std::vector<int64_t>& pooled) {
  KILN_RETURN_IF_ERROR(pool_geometry_takes(pool, conv[1], conv[2]));
  if (pooled != std::vector<int64_t>{conv[0], (conv[1] - 1) / 2 + 1, (conv[2] - 1) / 2 + 1, conv[3]})
    return invalid_argument("the pooled output is {}, not the pool's of {}", dims_to_string(pooled),
                            dims_to_string(conv));
  return Status::Ok();
}

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

// The halo tile of a stem tactic at or past kHaloTacticBase, where the device runs it.
Expected<HaloTile> halo_tile_of(const Tactic& tactic, const DeviceContext& device) {
  if (!halo_tiles_run_on(device.props.major, device.props.minor))
    return unsupported("{} needs a compute capability 9.0 GPU (sm_90a), not {}.{}", tactic.name, device.props.major,
                       device.props.minor);
  for (HaloTile tile : kHaloTiles)
    if (kHaloTacticBase + static_cast<int64_t>(tile) == tactic.id) return tile;
  return invalid_argument("{} is not an int8 stem tactic id ({})", tactic.id, tactic.name);
}

// The pooled layer and its stem, or unsupported(reason): the pooled kernel's checks beyond the
// stem's (a 64-channel row form, at most 64 output channels and 128-pixel rows, the folded
// epilogue without a residual, ResNet's pool).
struct PooledStem {
  Int8Stem stem;
  IgemmInt8Conv rows;
};
Expected<PooledStem> pooled_stem(const LayerSpec& spec) {
  KILN_ASSIGN_OR_RETURN(LayerSpec conv, conv_part(spec));
  const Expected<Int8Stem> s = int8_stem(conv);
  if (!s.ok()) return s.status();
  KILN_RETURN_IF_ERROR(pool_takes(*spec.pool, conv.outputs[0].dims, spec.outputs[0].dims));
  if (!folds_per_channel(conv, *s->problem.quant) || s->problem.quant->has_residual)
    return unsupported("the pooled int8 stem runs the folded epilogue without a residual, not {}",
                       s->problem.quant->slug());
  const IgemmInt8Conv rows = space_to_depth_row_geometry(s->stem);
  if (stem_pool_tiling(rows, kStemPoolStrips[0]).blocks == 0)
    return unsupported("the pooled int8 stem takes a 4-row blocked kernel (7x7 or 8x8), at most {} output channels "
                       "and {}-pixel rows, not {} channels of {} pixels",
                       kStemPoolBlockN, kStemPoolMaxRowPixels, rows.out_channels, rows.out_w);
  return PooledStem{*s, rows};
}

class IgemmInt8StemProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "kiln_s2d_igemm_int8_conv"; }

  // A stem pooled in the same layer (LayerSpec::pool) runs on its own kernel.
  bool runs_trailing_pool() const override { return true; }

  Status supports(const LayerSpec& spec) const override {
    return spec.pool != nullptr ? pooled_stem(spec).status() : int8_stem(spec).status();
  }

  // "kiln_s2d_igemm_int8_64x64x64_wgmma_bias_relu_to_int8", then the halo tiles that take the row
  // form ("kiln_s2d_halo_igemm_int8_128x64x64_wgmma_bias_relu_to_int8"): they read each blocked
  // row once a block where the implicit GEMM copies every pixel's four 64-byte taps.
  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext& device) const override {
    if (spec.pool != nullptr) return pooled_tactics(spec, device);
    const Expected<Int8Stem> s = int8_stem(spec);
    if (!s.ok()) return s.status();
    if (s->stem.block_bytes() >= spec.workspace_limit)
      return unsupported("the blocked input needs {} bytes of workspace, over the limit of {}", s->stem.block_bytes(),
                         spec.workspace_limit);
    std::vector<Tactic> tactics = igemm_int8_tactics("kiln_s2d_igemm_int8_", *s->problem.quant, device);
    if (!halo_tiles_run_on(device.props.major, device.props.minor) || !folds_per_channel(spec, *s->problem.quant))
      return tactics;
    const IgemmInt8Conv rows = space_to_depth_row_geometry(s->stem);
    for (HaloTile tile : kHaloTiles)
      if (halo_tile_takes(tile, rows, HaloWindow::kStemRows4))
        tactics.push_back({std::string("kiln_s2d_halo_igemm_int8_") + halo_tile_name(tile) + s->problem.quant->slug(),
                           kHaloTacticBase + static_cast<int64_t>(tile)});
    return tactics;
  }

  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext& device) const override {
    if (spec.pool != nullptr) return create_pooled(spec, tactic, device);
    const Expected<Int8Stem> s = int8_stem(spec);
    if (!s.ok()) return s.status();
    // Only the reduction is rearranged: the per-channel weight scales, bias and epilogue are the layer's.
    const IgemmInt8Conv rows = space_to_depth_row_geometry(s->stem);
    std::unique_ptr<LayerKernel> conv;
    if (tactic.id >= kHaloTacticBase) {
      KILN_ASSIGN_OR_RETURN(HaloTile tile, halo_tile_of(tactic, device));
      if (!folds_per_channel(spec, *s->problem.quant))
        return unsupported("{}: the halo tiles run the folded epilogue only, not {}", tactic.name,
                           s->problem.quant->slug());
      KILN_ASSIGN_OR_RETURN(conv, make_halo_igemm_int8_kernel(spec, *s->problem.quant, rows, HaloWindow::kStemRows4, tile));
    } else {
      KILN_ASSIGN_OR_RETURN(IgemmTile tile, igemm_int8_tile(tactic, device));
      KILN_ASSIGN_OR_RETURN(conv, make_igemm_int8_conv_kernel(spec, rows, *s->problem.quant, tile));
    }
    KILN_ASSIGN_OR_RETURN(DeviceBuffer weights,
                          upload_space_to_depth_weights(s->stem, s->problem, *spec.inputs[kQWeights]->host_constant));
    return std::unique_ptr<LayerKernel>(
        std::make_unique<SpaceToDepthConvKernel>(s->stem, std::move(weights), std::move(conv)));
  }

 private:
  // "kiln_s2d_pool_igemm_int8_256x64x64_wgmma_s8_bias_relu_to_int8": a strip of 8 pooled rows.
  static Expected<std::vector<Tactic>> pooled_tactics(const LayerSpec& spec, const DeviceContext& device) {
    const Expected<PooledStem> s = pooled_stem(spec);
    if (!s.ok()) return s.status();
    std::vector<Tactic> tactics;
    if (!halo_tiles_run_on(device.props.major, device.props.minor)) return tactics;
    if (s->stem.stem.block_bytes() >= spec.workspace_limit)
      return unsupported("the blocked input needs {} bytes of workspace, over the limit of {}",
                         s->stem.stem.block_bytes(), spec.workspace_limit);
    for (int strip : kStemPoolStrips)
      tactics.push_back({"kiln_s2d_pool_igemm_int8_256x64x64_wgmma_s" + std::to_string(strip) +
                             s->stem.problem.quant->slug(),
                         kPoolTacticBase + strip});
    return tactics;
  }

  static Expected<std::unique_ptr<LayerKernel>> create_pooled(const LayerSpec& spec, const Tactic& tactic,
                                                              const DeviceContext& device) {
    if (!halo_tiles_run_on(device.props.major, device.props.minor))
      return unsupported("{} needs a compute capability 9.0 GPU (sm_90a), not {}.{}", tactic.name, device.props.major,
                         device.props.minor);
    const int64_t strip = tactic.id - kPoolTacticBase;
    if (strip <= 0 || strip > 64) return invalid_argument("{} is not a pooled int8 stem tactic id ({})", tactic.id,
                                                          tactic.name);
    const Expected<PooledStem> s = pooled_stem(spec);
    if (!s.ok()) return s.status();
    const IgemmInt8Conv rows = s->rows;
    const StemPoolTiling tiling = stem_pool_tiling(rows, static_cast<int>(strip));
    KILN_CUDA_CHECK(prepare_stem_pool_igemm_int8_conv());
    KILN_ASSIGN_OR_RETURN(
        std::unique_ptr<LayerKernel> conv,
        make_igemm_int8_layer_kernel(
            spec, *s->stem.problem.quant, [rows, tiling](const IgemmLaunchArgs& a, cudaStream_t stream) -> Status {
              if (a.folded.channel_pairs == nullptr)
                return invalid_argument("the pooled int8 stem runs the folded epilogue only");
              KILN_CUDA_CHECK(launch_stem_pool_igemm_int8_conv(rows, tiling, a.x, a.w, a.folded, a.y, stream));
              return Status::Ok();
            }));
    KILN_ASSIGN_OR_RETURN(DeviceBuffer weights,
                          upload_space_to_depth_weights(s->stem.stem, s->stem.problem,
                                                        *spec.inputs[kQWeights]->host_constant));
    return std::unique_ptr<LayerKernel>(
        std::make_unique<SpaceToDepthConvKernel>(s->stem.stem, std::move(weights), std::move(conv)));
  }
};

}  // namespace

bool stem_pool_fusable(const Node& conv, const Node& pool, const std::vector<const Value*>& inputs,
                       const Value& conv_out) {
  const auto input = [&](size_t i) { return i < inputs.size() ? inputs[i] : nullptr; };
  const Value* x = input(kQInput);
  const Value* w = input(kQWeights);
  if (conv.op_type() != kQConvOp || x == nullptr || w == nullptr || x->dtype() != DataType::kInt8 ||
      conv_out.dtype() != DataType::kInt8 || !w->is_constant() || input(kQResidual) != nullptr ||
      conv.attr_int("group", 1) != 1)
    return false;
  const auto xs = x->shape().static_dims();  // [N, H, W, C]
  if (!xs || xs->size() != 4 || (*xs)[3] > SpaceToDepthStem::kPixelChannels) return false;
  const std::vector<int64_t>& ws = w->constant().dims();  // [K, R, S, C]
  if (ws.size() != 4 || ws[0] > kStemPoolBlockN || ws[0] % kIgemmChannelMultiple != 0 || ws[1] != 7 || ws[2] != 7)
    return false;
  const std::string activation = conv.attr_string("activation");
  if ((activation != "" && activation != "Relu") || conv.attr_int("activation_gated") != 0) return false;
  const Expected<ConvGeometry> g = conv_geometry(conv, {(*xs)[1], (*xs)[2]}, {ws[1], ws[2]}, false);
  if (!g.ok() || g->strides != std::vector<int64_t>{2, 2} || g->dilations != std::vector<int64_t>{1, 1} ||
      g->output[1] > kStemPoolMaxRowPixels)
    return false;
  return pool_geometry_takes(pool, g->output[0], g->output[1]).ok();
}

const TacticProvider& igemm_int8_stem_provider() {
  static const IgemmInt8StemProvider provider;
  return provider;
}

}  // namespace kiln::cuda
