// Expand reads broadcast axes with stride 0 (a strided view); Tile reads output coordinate c of
// each axis at c % input dim. Both take their sizes from the output dims, so the shape/repeats
// input need not be constant.
#include "backends/cuda/kernels/datamove/layer_kernels.h"
#include "backends/cuda/kernels/datamove/provider.h"
#include "backends/reference/broadcast.h"

namespace kiln::cuda::datamove {

namespace {

std::vector<int64_t> row_major(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t k = dims.size(); k-- > 1;) strides[k - 1] = strides[k] * dims[k];
  return strides;
}

Expected<StridedView> expand_view(const LayerSpec& spec) {
  const std::vector<int64_t>& in = spec.inputs[0]->dims;
  const std::vector<int64_t>& out = spec.outputs[0].dims;
  if (in.size() > out.size()) return invalid_argument("Expand of rank {} to rank {}", in.size(), out.size());
  for (size_t k = 0; k < in.size(); ++k) {
    const int64_t o = out[out.size() - in.size() + k];
    if (in[k] != o && in[k] != 1) return invalid_argument("Expand of {} to {}", dims_to_string(in), dims_to_string(out));
  }
  return merged_view(out, broadcast_strides(in, out));
}

Expected<TileMap> tile_map(const LayerSpec& spec) {
  const std::vector<int64_t>& in = spec.inputs[0]->dims;
  const std::vector<int64_t>& out = spec.outputs[0].dims;
  if (in.size() != out.size()) return invalid_argument("Tile of rank {} to rank {}", in.size(), out.size());
  TileMap map;
  KILN_ASSIGN_OR_RETURN(map.view, exact_view(out, row_major(in)));
  for (size_t k = 0; k < in.size(); ++k) {
    if (in[k] == 0 ? out[k] != 0 : out[k] % in[k] != 0)
      return invalid_argument("Tile of {} to {}", dims_to_string(in), dims_to_string(out));
    map.in_dims[k] = in[k];
  }
  return map;
}

class ExpandProvider final : public DataMovementProvider {
 public:
  ExpandProvider() : DataMovementProvider("kiln_expand", {"Expand"}) {}

 protected:
  Status check(const LayerSpec& spec) const override { return expand_view(spec).status(); }
  std::vector<std::string> tactic_names(const LayerSpec&) const override { return {"kiln_expand"}; }
  Expected<std::unique_ptr<LayerKernel>> make(const LayerSpec& spec, size_t) const override {
    KILN_ASSIGN_OR_RETURN(StridedView view, expand_view(spec));
    return make_kernel<MapCopyKernel<StridedMap>>(StridedMap{view}, static_cast<int>(data_type_size(spec.outputs[0].dtype)),
                                                       spec.outputs[0].numel(), spec.inputs[0]->numel());
  }
};

class TileProvider final : public DataMovementProvider {
 public:
  TileProvider() : DataMovementProvider("kiln_tile", {"Tile"}) {}

 protected:
  Status check(const LayerSpec& spec) const override { return tile_map(spec).status(); }
  std::vector<std::string> tactic_names(const LayerSpec&) const override { return {"kiln_tile"}; }
  Expected<std::unique_ptr<LayerKernel>> make(const LayerSpec& spec, size_t) const override {
    KILN_ASSIGN_OR_RETURN(TileMap map, tile_map(spec));
    return make_kernel<MapCopyKernel<TileMap>>(map, static_cast<int>(data_type_size(spec.outputs[0].dtype)),
                                                    spec.outputs[0].numel(), spec.inputs[0]->numel());
  }
};

}  // namespace

const TacticProvider* expand_provider() {
  static const ExpandProvider provider;
  return &provider;
}

const TacticProvider* tile_provider() {
  static const TileProvider provider;
  return &provider;
}

}  // namespace kiln::cuda::datamove
