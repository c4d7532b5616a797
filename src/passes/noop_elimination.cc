// Removes layers that pass their input through unchanged: Identity, Dropout at inference, Cast
// to the same type, Reshape/Flatten/Squeeze/Unsqueeze/Expand to the same shape, identity
// Transpose, Pad by zero. Guard: the layer's output is not a graph output (its name must stay).
#include "ir/ops/infer_utils.h"
#include "passes/passes.h"

namespace kiln {

namespace {

bool same_static_shape(const Value* a, const Value* b) {
  return a && b && a->shape().is_static() && a->shape() == b->shape() && a->dtype() == b->dtype();
}

bool all_zero(const Value* v) {
  if (!v || !v->is_constant()) return false;
  auto ints = tensor_to_int64s(v->constant());
  if (!ints.ok()) return false;
  for (int64_t x : *ints)
    if (x != 0) return false;
  return true;
}

// True when `n` copies input 0 to output 0 unchanged.
bool is_noop(const Node& n) {
  const std::string& op = n.op_type();
  const Value* in = n.input(0);
  const Value* out = n.output(0);
  if (!n.domain().empty() || in == nullptr || out == nullptr) return false;
  if (op == "Identity") return true;
  if (op == "Dropout") {
    // Inference mode: no training_mode input that could be true, and no mask anyone needs.
    const Value* training = n.input(2);
    if (training && !(training->is_constant() && all_zero(training))) return false;
    return n.output(1) == nullptr;
  }
  if (op == "Cast") return in->dtype() == out->dtype() && in->dtype() != DataType::kUndefined;
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" || op == "Expand")
    return same_static_shape(in, out);
  if (op == "Transpose") {
    const auto perm = n.attr_ints("perm");
    if (perm.empty()) return in->shape().rank_known() && in->shape().rank() <= 1;
    for (size_t i = 0; i < perm.size(); ++i)
      if (perm[i] != static_cast<int64_t>(i)) return false;
    return true;
  }
  if (op == "Pad") {
    if (n.opset() < 11) {
      for (int64_t p : n.attr_ints("pads"))
        if (p != 0) return false;
      return true;
    }
    return all_zero(n.input(1));
  }
  return false;
}

class NoopElimination final : public Pass {
 public:
  std::string_view name() const override { return "noop_elimination"; }

  Expected<PassResult> run(Graph& graph) override {
    PassResult result;
    std::vector<const Node*> removed;
    for (const auto& n : graph.nodes()) {
      if (!is_noop(*n) || graph.is_graph_output(n->output(0))) continue;
      graph.replace_uses(n->output(0), n->input(0));
      removed.push_back(n.get());
      result.events.push_back("eliminated no-op layer '" + n->name() + "' (" + n->op_type() + ")");
    }
    graph.erase_nodes(removed);
    return result;
  }
};

}  // namespace

std::unique_ptr<Pass> make_noop_elimination() { return std::make_unique<NoopElimination>(); }

}  // namespace kiln
