#include "backends/cuda/kernels/igemm/halo_igemm_int8_conv_provider.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/igemm/igemm_int8_conv_provider.h"

namespace kiln::cuda {

namespace {

// The largest tile's rows: a layer's output row must fit one block.
constexpr int max_block_m() {
  int rows = 0;
  for (HaloTile tile : kHaloTiles) rows = std::max(rows, halo_tile_shape(tile).block_m());
  return rows;
}

// What the halo tile asks beyond the implicit GEMM's own checks (igemm_int8_takes).
Status halo_takes(const LayerSpec& spec, const ConvProblem& p) {
  if (p.kernel_h != 3 || p.kernel_w != 3)
    return unsupported("the halo-tile int8 convolution runs 3x3 kernels, not {}x{}", p.kernel_h, p.kernel_w);
  if (p.stride[0] != 1 || p.stride[1] != 1)
    return unsupported("the halo-tile int8 convolution runs stride 1, not stride {}x{}", p.stride[0], p.stride[1]);
  if (p.dilation[0] != 1 || p.dilation[1] != 1)
    return unsupported("the halo-tile int8 convolution runs dilation 1, not dilation {}x{}", p.dilation[0],
                       p.dilation[1]);
  if (p.pad_begin[0] != 1 || p.pad_begin[1] != 1 || p.pad_end[0] != 1 || p.pad_end[1] != 1)
    return unsupported("the halo-tile int8 convolution needs a padding of 1 on every side, not {},{} before and {},{} "
                       "after",
                       p.pad_begin[0], p.pad_begin[1], p.pad_end[0], p.pad_end[1]);
  if (p.in_channels % kHaloChunkChannels != 0)
    return unsupported("the halo-tile int8 convolution takes input channels in whole chunks of {}; {} is not a "
                       "multiple of {}",
                       kHaloChunkChannels, p.in_channels, kHaloChunkChannels);
  if (!folds_per_channel(spec, *p.quant))
    return unsupported("the halo-tile int8 convolution runs the folded epilogue only (int8 output, an int8 residual or "
                       "none, ReLU or none, a constant bias), not {}",
                       p.quant->slug());
  if (p.out_w > max_block_m())
    return unsupported("the halo-tile int8 convolution holds whole output rows in a block: at most {} pixels a row, "
                       "not {}",
                       max_block_m(), p.out_w);
  return Status::Ok();
}

// The layer as the halo tile runs it, or unsupported(reason).
Expected<ConvProblem> halo_problem(const LayerSpec& spec) {
  // Read in place, as igemm_int8_conv_provider.cc does (GCC 12 and the optional inside).
  Expected<ConvProblem> problem = igemm_int8_conv_problem(spec);
  if (problem.ok()) KILN_RETURN_IF_ERROR(halo_takes(spec, *problem));
  return problem;
}

class HaloIgemmInt8ConvProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "kiln_halo_igemm_int8_conv"; }

  Status supports(const LayerSpec& spec) const override { return halo_problem(spec).status(); }

  // "kiln_halo_igemm_int8_128x64x64_wgmma_bias_relu_to_int8": the tile, then the epilogue. Only
  // the tiles holding a whole output row, and none where the device does not run sm_90a code.
  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext& device) const override {
    const Expected<ConvProblem> problem = halo_problem(spec);
    if (!problem.ok()) return problem.status();
    std::vector<Tactic> tactics;
    if (!halo_tiles_run_on(device.props.major, device.props.minor)) return tactics;
    const IgemmInt8Conv geometry = conv_geometry32(*problem);
    for (HaloTile tile : kHaloTiles)
      if (halo_tile_takes(tile, geometry))
        tactics.push_back({std::string("kiln_halo_igemm_int8_") + halo_tile_name(tile) + problem->quant->slug(),
                           static_cast<int64_t>(tile)});
    return tactics;
  }

  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext& device) const override {
    KILN_ASSIGN_OR_RETURN(HaloTile tile, tile_of(tactic));
    if (!halo_tiles_run_on(device.props.major, device.props.minor))
      return unsupported("{} needs a compute capability 9.0 GPU (sm_90a), not {}.{}", tactic.name, device.props.major,
                         device.props.minor);
    const Expected<ConvProblem> problem = halo_problem(spec);
    if (!problem.ok()) return problem.status();
    const IgemmInt8Conv geometry = conv_geometry32(*problem);
    if (!halo_tile_takes(tile, geometry))
      return unsupported("{}: a {}-pixel output row does not fit the tile", tactic.name, geometry.out_w);
    return make_halo_igemm_int8_kernel(spec, *problem->quant, geometry, HaloWindow::k3x3, tile);
  }

 private:
  static Expected<HaloTile> tile_of(const Tactic& tactic) {
    for (HaloTile tile : kHaloTiles)
      if (static_cast<int64_t>(tile) == tactic.id) return tile;
    return invalid_argument("{} is not a halo-tile int8 tactic id ({})", tactic.id, tactic.name);
  }
};

}  // namespace

Expected<std::unique_ptr<LayerKernel>> make_halo_igemm_int8_kernel(const LayerSpec& spec,
                                                                   const QuantizedParams& params,
                                                                   const IgemmInt8Conv& geometry, HaloWindow window,
                                                                   HaloTile tile) {
  if (!halo_tile_takes(tile, geometry, window))
    return invalid_argument("the halo tile {} does not take the layer's geometry", halo_tile_name(tile));
  const HaloTiling tiling = halo_tiling(tile, geometry, window);
  KILN_CUDA_CHECK(prepare_halo_igemm_int8_conv(window, tile));
  return make_igemm_int8_layer_kernel(
      spec, params, [geometry, tile, tiling](const IgemmLaunchArgs& a, cudaStream_t stream) -> Status {
        // The providers saw the layer fold; an unaligned residual is what is left.
        if (a.folded.channel_pairs == nullptr)
          return invalid_argument("the halo-tile int8 convolution runs the folded epilogue only, which needs a "
                                  "16-byte aligned residual");
        KILN_CUDA_CHECK(launch_halo_igemm_int8_conv(geometry, tile, tiling, a.x, a.w, a.folded, a.y, stream));
        return Status::Ok();
      });
}

const TacticProvider& halo_igemm_int8_conv_provider() {
  static const HaloIgemmInt8ConvProvider provider;
  return provider;
}

}  // namespace kiln::cuda
