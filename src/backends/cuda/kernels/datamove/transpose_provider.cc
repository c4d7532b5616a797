// Transpose: any permutation as a strided copy, plus a shared-memory tiled kernel when the
// permutation (after merging axes that stay together) swaps the last two of at most three axes,
// as the NCHW <-> NHWC reformats and matrix transposes do.
#include <optional>

#include "backends/cuda/kernels/datamove/layer_kernels.h"
#include "backends/cuda/kernels/datamove/provider.h"
#include "ir/ops/transpose_perm.h"

namespace kiln::cuda::datamove {

namespace {

// A short axis moved last (an RGB image to channels-last): runs of pixels through shared memory.
class ToMinorKernel final : public LayerKernel {
 public:
  ToMinorKernel(int64_t batch, int64_t rows, int64_t cols, int elem) : batch_(batch), rows_(rows), cols_(cols), elem_(elem) {}
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs, const std::vector<void*>& outputs) override {
    KILN_CUDA_CHECK(launch_transpose_to_minor(inputs[0], outputs[0], batch_, static_cast<int>(rows_), cols_, elem_, env.stream));
    return Status::Ok();
  }

 private:
  int64_t batch_, rows_, cols_;
  int elem_;
};

class TransposeProvider final : public DataMovementProvider {
 public:
  TransposeProvider() : DataMovementProvider("kiln_transpose", {"Transpose"}) {}

 protected:
  Status check(const LayerSpec& spec) const override {
    KILN_ASSIGN_OR_RETURN(auto perm, transpose_perm(*spec.op, static_cast<int>(spec.inputs[0]->dims.size())));
    return permuted_view(spec.inputs[0]->dims, perm).status();
  }

  std::vector<std::string> tactic_names(const LayerSpec& spec) const override {
    const std::string bytes = std::to_string(data_type_size(spec.outputs[0].dtype)) + "B";
    std::vector<std::string> names;
    if (tiled_swap(spec)) {
      const auto perm = *transpose_perm(*spec.op, static_cast<int>(spec.inputs[0]->dims.size()));
      if (perm == std::vector<int64_t>{0, 2, 3, 1}) names.push_back("kiln_transpose_nchw_to_nhwc_" + bytes);
      else if (perm == std::vector<int64_t>{0, 3, 1, 2}) names.push_back("kiln_transpose_nhwc_to_nchw_" + bytes);
      else names.push_back("kiln_transpose_tiled_" + bytes);
    }
    names.push_back("kiln_transpose_" + bytes);
    if (auto swap = tiled_swap(spec); swap && swap->rows <= kMaxMinorRows) names.push_back("kiln_transpose_to_minor_" + bytes);
    return names;
  }

  Expected<std::unique_ptr<LayerKernel>> make(const LayerSpec& spec, size_t tactic) const override {
    const int elem = static_cast<int>(data_type_size(spec.outputs[0].dtype));
    const std::optional<BatchedSwap> swap = tiled_swap(spec);
    if (swap && tactic == 0) return make_kernel<BatchedTransposeKernel>(swap->batch, swap->rows, swap->cols, elem);
    if (swap && tactic == 2) return make_kernel<ToMinorKernel>(swap->batch, swap->rows, swap->cols, elem);
    KILN_ASSIGN_OR_RETURN(StridedView view, view_of(spec));
    return make_kernel<MapCopyKernel<StridedMap>>(StridedMap{view}, elem, spec.outputs[0].numel(),
                                                       spec.inputs[0]->numel());
  }

 private:
  static Expected<StridedView> view_of(const LayerSpec& spec) {
    KILN_ASSIGN_OR_RETURN(auto perm, transpose_perm(*spec.op, static_cast<int>(spec.inputs[0]->dims.size())));
    return permuted_view(spec.inputs[0]->dims, perm);
  }

  // The tiled kernel's shape when it applies (its grid bounds the rows).
  static std::optional<BatchedSwap> tiled_swap(const LayerSpec& spec) {
    auto perm = transpose_perm(*spec.op, static_cast<int>(spec.inputs[0]->dims.size()));
    if (!perm.ok()) return std::nullopt;
    std::optional<BatchedSwap> swap = batched_swap(spec.inputs[0]->dims, *perm);
    if (swap && swap->rows > kMaxTiledRows) return std::nullopt;
    return swap;
  }
};

}  // namespace

const TacticProvider* transpose_provider() {
  static const TransposeProvider provider;
  return &provider;
}

}  // namespace kiln::cuda::datamove
