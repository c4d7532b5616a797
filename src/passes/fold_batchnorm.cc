// Folds an inference-mode BatchNormalization into the Conv, ConvTranspose or Gemm before it:
// y = (x - mean) / sqrt(var + eps) * scale + B is a per-channel scale and shift, which the
// layer's weights and bias absorb.
#include <cmath>

#include "ir/ops/infer_utils.h"
#include "passes/channel_affine.h"
#include "passes/passes.h"

namespace kiln {

namespace {

// The map the BatchNormalization `bn` computes per channel, when its statistics are constants
// with `channels` entries and it runs in inference mode.
std::optional<ChannelAffine> batchnorm_affine(const Node& bn, int64_t channels, const Uses& uses) {
  if (bn.attr_int("training_mode") != 0) return std::nullopt;
  for (size_t i = 1; i < bn.outputs().size(); ++i)
    if (const Value* extra = bn.outputs()[i]; extra && (!uses.readers(extra).empty() || uses.is_pinned(extra)))
      return std::nullopt;
  std::vector<std::vector<double>> params;  // scale, B, mean, var
  for (int i = 1; i <= 4; ++i) {
    const Value* v = bn.input(i);
    if (v == nullptr || !v->is_constant() || v->constant().numel() != channels) return std::nullopt;
    auto values = tensor_to_doubles(v->constant());
    if (!values.ok()) return std::nullopt;
    params.push_back(std::move(values).value());
  }
  const double epsilon = bn.attr_float("epsilon", 1e-5f);
  ChannelAffine affine;
  for (size_t c = 0; c < static_cast<size_t>(channels); ++c) {
    const double s = params[0][c] / std::sqrt(params[3][c] + epsilon);
    affine.scale.push_back(s);
    affine.shift.push_back(params[1][c] - params[2][c] * s);
  }
  return affine;
}

class FoldBatchNorm final : public Pass {
 public:
  std::string_view name() const override { return "fold_batchnorm"; }

  Expected<PassResult> run(Graph& graph) override {
    PassResult result;
    // One fold at a time: each rewrite changes the readers the next match looks at.
    for (bool changed = true; changed;) {
      changed = false;
      const Uses uses(graph);
      for (const auto& node : graph.nodes()) {
        const Node& bn = *node;
        if (!bn.domain().empty() || bn.op_type() != "BatchNormalization") continue;
        const Node* layer = bn.input(0) ? bn.input(0)->producer() : nullptr;
        if (layer == nullptr || uses.sole_reader(bn.input(0)) != &bn) continue;
        const auto channels = foldable_output_channels(*layer);
        if (!channels || bn.input(0)->dtype() != bn.output(0)->dtype()) continue;
        const auto affine = batchnorm_affine(bn, *channels, uses);
        if (!affine) continue;
        const std::string layer_op = layer->op_type();
        KILN_ASSIGN_OR_RETURN(Node * folded, fold_channel_affine(graph, *layer, {&bn}, *affine, bn.output(0)));
        result.events.push_back("fused '" + folded->name() + "' (BatchNormalization folded into " + layer_op + ")");
        changed = true;
        break;
      }
    }
    return result;
  }
};

}  // namespace

std::unique_ptr<Pass> make_fold_batchnorm() { return std::make_unique<FoldBatchNorm>(); }

}  // namespace kiln
