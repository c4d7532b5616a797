// Trilu: keeps one triangle of every matrix (the last two dims), zeros elsewhere; k comes from a
// constant input.
#include "backends/cuda/kernels/datamove/layer_kernels.h"
#include "backends/cuda/kernels/datamove/provider.h"

namespace kiln::cuda::datamove {

namespace {

Expected<TriluMap> trilu_map(const LayerSpec& spec) {
  const std::vector<int64_t>& d = spec.inputs[0]->dims;
  if (d.size() < 2) return invalid_argument("Trilu needs rank >= 2, got {}", d.size());
  TriluMap map;
  if (spec.has_input(1)) {
    KILN_ASSIGN_OR_RETURN(auto k, constant_ints(spec, 1, "k"));
    if (k.size() != 1) return invalid_argument("Trilu input 'k' must hold one value, got {}", k.size());
    map.k = k[0];
  }
  map.rows = d[d.size() - 2];
  map.cols = d[d.size() - 1];
  map.upper = spec.op->attr_int("upper") != 0;
  return map;
}

class TriluProvider final : public DataMovementProvider {
 public:
  TriluProvider() : DataMovementProvider("kiln_trilu", {"Trilu"}) {}

 protected:
  Status check(const LayerSpec& spec) const override { return trilu_map(spec).status(); }
  std::vector<std::string> tactic_names(const LayerSpec& spec) const override {
    return {spec.op->attr_int("upper") != 0 ? "kiln_trilu_upper" : "kiln_trilu_lower"};
  }
  Expected<std::unique_ptr<LayerKernel>> make(const LayerSpec& spec, size_t) const override {
    KILN_ASSIGN_OR_RETURN(TriluMap map, trilu_map(spec));
    return make_kernel<MapCopyKernel<TriluMap>>(map, static_cast<int>(data_type_size(spec.outputs[0].dtype)),
                                                     spec.outputs[0].numel(), spec.inputs[0]->numel());
  }
};

}  // namespace

const TacticProvider* trilu_provider() {
  static const TriluProvider provider;
  return &provider;
}

}  // namespace kiln::cuda::datamove
