// Folds a Mul, Add or Sub by a per-channel constant into the Conv, ConvTranspose or Gemm before
// it (a scale multiplies the weights and bias, a shift adds to the bias).
#include "passes/channel_affine.h"
#include "passes/passes.h"

namespace kiln {

namespace {

// The map `op` computes on the layer output `y` (its input 0 or 1) when its other operand is a
// per-channel constant.
std::optional<ChannelAffine> scale_or_shift(const Node& op, const Value* y, int64_t channels) {
  if (!op.domain().empty() || op.inputs().size() != 2 || op.output(0) == nullptr) return std::nullopt;
  const bool y_first = op.input(0) == y;
  const Value* c = op.input(y_first ? 1 : 0);
  if (c == nullptr || c == y || !c->is_constant() || !is_floating(c->dtype()) || c->dtype() != y->dtype())
    return std::nullopt;
  auto values = per_channel_values(c->constant(), y->shape().rank(), channels);
  if (!values) return std::nullopt;
  ChannelAffine affine{std::vector<double>(values->size(), 1.0), std::vector<double>(values->size(), 0.0)};
  if (op.op_type() == "Mul") {
    affine.scale = *values;
  } else if (op.op_type() == "Add") {
    affine.shift = *values;
  } else if (op.op_type() == "Sub" && y_first) {
    for (size_t i = 0; i < values->size(); ++i) affine.shift[i] = -(*values)[i];
  } else {
    return std::nullopt;
  }
  return affine;
}

class FoldScaleBias final : public Pass {
 public:
  std::string_view name() const override { return "fold_scale_bias"; }

  Expected<PassResult> run(Graph& graph) override {
    PassResult result;
    for (bool changed = true; changed;) {
      changed = false;
      const Uses uses(graph);
      for (const auto& node : graph.nodes()) {
        const Node& layer = *node;
        const auto channels = foldable_output_channels(layer);
        if (!channels) continue;
        Value* y = layer.output(0);
        const Node* op = uses.sole_reader(y);
        if (op == nullptr) continue;
        const auto affine = scale_or_shift(*op, y, *channels);
        if (!affine || !same_static_shape(op->output(0), y)) continue;
        const std::string what = op->op_type() + " folded into " + layer.op_type();
        KILN_ASSIGN_OR_RETURN(Node * folded, fold_channel_affine(graph, layer, {op}, *affine, op->output(0)));
        result.events.push_back("fused '" + folded->name() + "' (" + what + ")");
        changed = true;
        break;
      }
    }
    return result;
  }
};

}  // namespace

std::unique_ptr<Pass> make_fold_scale_bias() { return std::make_unique<FoldScaleBias>(); }

}  // namespace kiln
