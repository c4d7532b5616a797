// Recognizes GELU as exporters write it before opset 20, x * 0.5 * (1 + Erf(x / sqrt(2))), and
// makes it one Gelu node, which the Conv/MatMul fusions can then absorb. Accepted forms: the
// Erf argument as x / sqrt(2) or x * (1 / sqrt(2)); the products in any association:
// (x * (1 + erf)) * 0.5, (x * 0.5) * (1 + erf), x * ((1 + erf) * 0.5).
#include <cmath>

#include "ir/ops/infer_utils.h"
#include "passes/passes.h"
#include "passes/rewrite_util.h"

namespace kiln {

namespace {

bool is_op(const Node* n, const char* op) { return n && n->domain().empty() && n->op_type() == op; }

// Whether v is a constant scalar equal to `expected` to float precision.
bool is_scalar(const Value* v, double expected) {
  if (v == nullptr || !v->is_constant() || v->constant().numel() != 1) return false;
  auto values = tensor_to_doubles(v->constant());
  return values.ok() && std::abs((*values)[0] - expected) <= 1e-6 * std::abs(expected);
}

// The operand of a binary node other than `v` (null unless v is exactly one of its operands).
Value* other_operand(const Node* n, const Value* v) {
  if (n == nullptr || n->inputs().size() != 2 || n->input(0) == n->input(1)) return nullptr;
  if (n->input(0) == v) return n->input(1);
  if (n->input(1) == v) return n->input(0);
  return nullptr;
}

struct GeluMatch {
  Value* x = nullptr;
  std::vector<const Node*> nodes;
  Value* output = nullptr;
};

// The GELU that contains `erf`, if any.
std::optional<GeluMatch> match_gelu(const Uses& uses, const Node& erf) {
  GeluMatch m;
  const Node* scale = erf.input(0) ? erf.input(0)->producer() : nullptr;
  if (uses.sole_reader(erf.input(0)) != &erf) return std::nullopt;
  if (is_op(scale, "Div") && is_scalar(scale->input(1), std::sqrt(2.0))) m.x = scale->input(0);
  else if (is_op(scale, "Mul") && is_scalar(scale->input(1), std::sqrt(0.5))) m.x = scale->input(0);
  else if (is_op(scale, "Mul") && is_scalar(scale->input(0), std::sqrt(0.5))) m.x = scale->input(1);
  if (m.x == nullptr) return std::nullopt;
  const Node* plus_one = uses.sole_reader(erf.output(0));
  if (!is_op(plus_one, "Add") || !is_scalar(other_operand(plus_one, erf.output(0)), 1.0)) return std::nullopt;
  const Node* mul1 = uses.sole_reader(plus_one->output(0));
  if (!is_op(mul1, "Mul")) return std::nullopt;
  Value* partner = other_operand(mul1, plus_one->output(0));
  if (partner == nullptr) return std::nullopt;
  const Node* half_x = partner->producer();
  m.nodes = {scale, &erf, plus_one, mul1};
  if (partner == m.x || is_scalar(partner, 0.5)) {
    // (x * (1 + erf)) * 0.5 or ((1 + erf) * 0.5) * x
    const Node* mul2 = uses.sole_reader(mul1->output(0));
    Value* last = other_operand(mul2, mul1->output(0));
    if (!is_op(mul2, "Mul") || !(partner == m.x ? is_scalar(last, 0.5) : last == m.x)) return std::nullopt;
    m.nodes.push_back(mul2);
    m.output = mul2->output(0);
  } else if (is_op(half_x, "Mul") && uses.sole_reader(partner) == mul1 && is_scalar(other_operand(half_x, m.x), 0.5)) {
    // (x * 0.5) * (1 + erf)
    m.nodes.insert(m.nodes.begin(), half_x);
    m.output = mul1->output(0);
  } else {
    return std::nullopt;
  }
  if (m.output->dtype() != m.x->dtype() || !is_floating(m.x->dtype())) return std::nullopt;
  return m;
}

class FuseGelu final : public Pass {
 public:
  std::string_view name() const override { return "fuse_gelu"; }

  Expected<PassResult> run(Graph& graph) override {
    PassResult result;
    const Uses uses(graph);
    std::vector<GeluMatch> matches;
    for (const auto& node : graph.nodes())
      if (is_op(node.get(), "Erf"))
        if (auto m = match_gelu(uses, *node)) matches.push_back(std::move(*m));
    std::vector<const Node*> erased;
    for (const GeluMatch& m : matches) {
      KILN_ASSIGN_OR_RETURN(Node * gelu, add_replacement(graph, m.nodes, "Gelu", "", m.nodes.back()->opset(), {m.x},
                                                         {m.output}, {}));
      result.events.push_back("fused '" + gelu->name() + "' (Gelu)");
      erased.insert(erased.end(), m.nodes.begin(), m.nodes.end());
    }
    graph.erase_nodes(erased);
    return result;
  }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_gelu() { return std::make_unique<FuseGelu>(); }

}  // namespace kiln
