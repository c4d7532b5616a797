// DepthToSpace and SpaceToDepth: the input seen as 6-D and read through a permutation, exactly as
// the reference kernels view it.
#include "backends/cuda/kernels/datamove/layer_kernels.h"
#include "backends/cuda/kernels/datamove/provider.h"

namespace kiln::cuda::datamove {

namespace {

struct PermutedInput {
  std::vector<int64_t> view_dims, perm;
};

// DCR splits channels as [block_row, block_col, C']; CRD as [C', block_row, block_col].
PermutedInput permuted_input(const LayerSpec& spec) {
  const std::vector<int64_t>& d = spec.inputs[0]->dims;
  const int64_t bs = spec.op->attr_int("blocksize");
  if (spec.op->op_type() == "SpaceToDepth")
    return {{d[0], d[1], d[2] / bs, bs, d[3] / bs, bs}, {0, 3, 5, 1, 2, 4}};
  const int64_t c = d[1] / (bs * bs);
  if (spec.op->attr_string("mode") == "CRD") return {{d[0], c, bs, bs, d[2], d[3]}, {0, 1, 4, 2, 5, 3}};
  return {{d[0], bs, bs, c, d[2], d[3]}, {0, 3, 4, 1, 5, 2}};
}

class SpaceDepthProvider final : public DataMovementProvider {
 public:
  SpaceDepthProvider() : DataMovementProvider("kiln_space_depth", {"DepthToSpace", "SpaceToDepth"}) {}

 protected:
  Status check(const LayerSpec& spec) const override {
    const std::vector<int64_t>& d = spec.inputs[0]->dims;
    const int64_t bs = spec.op->attr_int("blocksize");
    if (d.size() != 4) return unsupported("{} needs a 4-D input, got rank {}", spec.op->op_type(), d.size());
    if (bs <= 0) return invalid_argument("'blocksize' must be positive, got {}", bs);
    const bool to_space = spec.op->op_type() == "DepthToSpace";
    if (to_space ? d[1] % (bs * bs) != 0 : (d[2] % bs != 0 || d[3] % bs != 0))
      return invalid_argument("{} of {} does not divide by blocksize {}", spec.op->op_type(), dims_to_string(d), bs);
    const PermutedInput p = permuted_input(spec);
    return permuted_view(p.view_dims, p.perm).status();
  }

  std::vector<std::string> tactic_names(const LayerSpec& spec) const override {
    if (spec.op->op_type() == "SpaceToDepth") return {"kiln_space_to_depth"};
    return {spec.op->attr_string("mode") == "CRD" ? "kiln_depth_to_space_crd" : "kiln_depth_to_space_dcr"};
  }

  Expected<std::unique_ptr<LayerKernel>> make(const LayerSpec& spec, size_t) const override {
    const PermutedInput p = permuted_input(spec);
    KILN_ASSIGN_OR_RETURN(StridedView view, permuted_view(p.view_dims, p.perm));
    return make_kernel<MapCopyKernel<StridedMap>>(StridedMap{view}, static_cast<int>(data_type_size(spec.outputs[0].dtype)),
                                                       spec.outputs[0].numel(), spec.inputs[0]->numel());
  }
};

}  // namespace

const TacticProvider* space_depth_provider() {
  static const SpaceDepthProvider provider;
  return &provider;
}

}  // namespace kiln::cuda::datamove
