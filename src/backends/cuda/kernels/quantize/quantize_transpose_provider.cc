// kiln.QuantizeTranspose (passes/fuse_quantize_transpose.cc: an INT8 engine's quantized input and
// its channels-last reformat) as one kernel: the data-movement transposes with QuantizeLinear's
// element applied on load (quantize_transpose.cu). The permutation must be one batched matrix
// transpose, as the layout reformats are; scale and zero point one value each, read on the device.
#include <fmt/format.h>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/datamove/launch.h"
#include "backends/cuda/kernels/datamove/view_utils.h"
#include "backends/cuda/kernels/quantize/quantize_kernels.h"
#include "backends/cuda/kernels/quantize/quantize_provider.h"
#include "ir/ops/fused_ops.h"
#include "ir/ops/transpose_perm.h"

namespace kiln::cuda::quantize {

namespace {

using datamove::BatchedSwap;

struct QuantizeTransposePlan {
  QuantizeTypes types;
  BatchedSwap swap;
};

// Tactic ids, in the order tactics() lists them.
enum TacticId : int64_t { kTiledTactic = 0, kToMinorTactic = 1 };

bool takes_tiled(const BatchedSwap& s) { return s.rows <= datamove::kMaxTiledRows; }
bool takes_to_minor(const BatchedSwap& s) { return s.rows <= datamove::kMaxMinorRows; }

// The transpose as matrices: a batched swap, or, when it moves only size-1 axes (a one-channel
// image), the identity as one row of numel columns.
std::optional<BatchedSwap> as_matrices(const std::vector<int64_t>& dims, const std::vector<int64_t>& perm) {
  if (auto swap = datamove::batched_swap(dims, perm)) return swap;
  auto view = datamove::permuted_view(dims, perm);
  if (view.ok() && (view->rank == 0 || (view->rank == 1 && view->strides[0] == 1)))
    return BatchedSwap{1, 1, datamove::element_count(dims)};
  return std::nullopt;
}

Expected<QuantizeTransposePlan> make_plan(const LayerSpec& spec) {
  const Node& op = *spec.op;
  if (op.domain() != kKilnDomain || op.op_type() != kQuantizeTransposeOp)
    return unsupported("not an op of this provider: {}", op.op_type());
  if (spec.channels_last) return unsupported("{} in channels-last layout", op.op_type());
  if (!spec.has_input(0) || !spec.has_input(1) || spec.outputs.size() != 1)
    return invalid_argument("{} without its inputs or outputs", op.op_type());
  QuantizeTransposePlan plan;
  KILN_ASSIGN_OR_RETURN(plan.types, quantize_types(spec, op.op_type()));
  for (size_t i : {1, 2})
    if (spec.has_input(i) && spec.inputs[i]->numel() != 1)
      return unsupported("a {} of {} values (the fused kernel takes one)", i == 1 ? "scale" : "zero point",
                         spec.inputs[i]->numel());
  const std::vector<int64_t>& dims = spec.inputs[0]->dims;
  KILN_ASSIGN_OR_RETURN(auto perm, transpose_perm(op, static_cast<int>(dims.size())));
  const std::optional<BatchedSwap> swap = as_matrices(dims, perm);
  if (!swap) return unsupported("permutation {} of {} is not one batched matrix transpose", dims_to_string(perm),
                                dims_to_string(dims));
  if (!takes_tiled(*swap) && !takes_to_minor(*swap))
    return unsupported("{} rows to transpose (the tiled kernel takes up to {})", swap->rows, datamove::kMaxTiledRows);
  plan.swap = *swap;
  return plan;
}

class QuantizeTransposeKernel final : public LayerKernel {
 public:
  QuantizeTransposeKernel(QuantizeTransposePlan plan, TransposeKernel kernel)
      : plan_(std::move(plan)), kernel_(kernel) {}

  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& in, const std::vector<void*>& out) override {
    const QuantizeTypes& t = plan_.types;
    const BatchedSwap& s = plan_.swap;
    KILN_CUDA_CHECK(launch_quantize_transpose(t.real, t.scale, t.quantized, kernel_, s.batch, s.rows, s.cols, in[0],
                                              in[1], in.size() > 2 ? in[2] : nullptr, out[0], env.stream));
    return Status::Ok();
  }

 private:
  QuantizeTransposePlan plan_;
  TransposeKernel kernel_;
};

class QuantizeTransposeProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "kiln_quantize_transpose"; }
  Status supports(const LayerSpec& spec) const override { return make_plan(spec).status(); }
  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext&) const override {
    KILN_ASSIGN_OR_RETURN(QuantizeTransposePlan plan, make_plan(spec));
    std::vector<Tactic> tactics;
    if (takes_tiled(plan.swap)) tactics.push_back({"kiln_quantize_transpose_tiled_" + plan.types.tag, kTiledTactic});
    if (takes_to_minor(plan.swap))
      tactics.push_back({"kiln_quantize_transpose_to_minor_" + plan.types.tag, kToMinorTactic});
    return tactics;
  }
  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext&) const override {
    KILN_ASSIGN_OR_RETURN(QuantizeTransposePlan plan, make_plan(spec));
    const bool tiled = tactic.id == kTiledTactic && takes_tiled(plan.swap);
    const bool to_minor = tactic.id == kToMinorTactic && takes_to_minor(plan.swap);
    if (!tiled && !to_minor)
      return invalid_argument("kiln_quantize_transpose has no tactic {} for this layer", tactic.id);
    return std::unique_ptr<LayerKernel>(std::make_unique<QuantizeTransposeKernel>(
        std::move(plan), tiled ? TransposeKernel::kTiled : TransposeKernel::kToMinor));
  }
};

}  // namespace

const TacticProvider& quantize_transpose_provider() {
  static const QuantizeTransposeProvider provider;
  return provider;
}

}  // namespace kiln::cuda::quantize
