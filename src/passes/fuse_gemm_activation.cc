// Vertical fusion of a matrix product with what follows it: MatMul [+ bias Add] [+ residual
// Add] [+ activation], and Gemm [+ residual Add] [+ activation], become one kiln.FusedMatMul
// (ViT's MLP: MatMul + bias + Gelu, then MatMul + bias + residual). A Gemm qualifies when it is a
// plain product plus bias: transA 0, alpha 1, constant B (transposed here when transB), C absent
// or one value per column.
#include "backends/reference/store_doubles.h"
#include "ir/ops/infer_utils.h"
#include "passes/epilogue_match.h"
#include "passes/passes.h"

namespace kiln {

namespace {

// The bias an Add after a MatMul output `y` applies, when it is a constant with one value per
// column of y (shape [N] or [1, ..., 1, N]).
const Value* bias_operand(const Node& add, const Value* y) {
  if (!add.domain().empty() || add.op_type() != "Add" || add.inputs().size() != 2) return nullptr;
  const Value* c = add.input(add.input(0) == y ? 1 : 0);
  if (c == nullptr || c == y || !c->is_constant() || c->dtype() != y->dtype()) return nullptr;
  const Tensor& t = c->constant();
  const int rank = y->shape().rank();
  if (t.rank() < 1 || t.rank() > rank || t.dim(t.rank() - 1) != y->shape()[rank - 1].value || t.numel() != t.dim(t.rank() - 1))
    return nullptr;
  return c;
}

struct Match {
  const Node* base = nullptr;
  const Node* bias_add = nullptr;
  Epilogue epilogue;
};

// A product FusedMatMul can replace: MatMul, or a Gemm as described above.
bool is_fusable_product(const Node& n) {
  if (!n.domain().empty() || n.outputs().size() != 1 || n.output(0) == nullptr) return false;
  const Value* y = n.output(0);
  if (!is_floating(y->dtype()) || !y->shape().is_static() || y->shape().rank() < 1) return false;
  if (n.op_type() == "MatMul") return true;
  if (n.op_type() != "Gemm" || n.attr_int("transA") != 0 || n.attr_float("alpha", 1.f) != 1.f) return false;
  const Value* b = n.input(1);
  const Value* c = n.input(2);
  if (!b || !b->is_constant() || b->constant().rank() != 2) return false;
  return c == nullptr || (c->is_constant() && c->shape().is_static() &&
                          (c->constant().numel() == 1 || c->constant().numel() == y->shape()[1].value) &&
                          (c->constant().rank() < 2 || c->constant().dim(0) == 1));
}

// FusedMatMul's B and bias for a Gemm: B transposed when transB, beta * C over the N columns.
Status gemm_operands(Graph& graph, const Node& gemm, const std::string& name, Value*& b, Value*& bias) {
  b = gemm.input(1);
  if (gemm.attr_int("transB") != 0) {
    KILN_ASSIGN_OR_RETURN(Tensor bt, compute_constant("Transpose", 13, {{"perm", Attribute::of_ints({1, 0})}},
                                                      {&b->constant()}));
    b = add_constant(graph, name + ".weight", bt);
  }
  bias = nullptr;
  const Value* c = gemm.input(2);
  if (c == nullptr) return Status::Ok();
  const int64_t n = gemm.output(0)->shape()[1].value;
  KILN_ASSIGN_OR_RETURN(std::vector<double> values, tensor_to_doubles(c->constant()));
  const double beta = gemm.attr_float("beta", 1.f);
  std::vector<double> per_column(static_cast<size_t>(n));
  for (size_t j = 0; j < per_column.size(); ++j) per_column[j] = beta * values[values.size() == 1 ? 0 : j];
  Tensor t(c->dtype(), {n});
  KILN_RETURN_IF_ERROR(store_doubles(per_column, t));
  bias = add_constant(graph, name + ".bias", t);
  return Status::Ok();
}

class FuseGemmActivation final : public Pass {
 public:
  std::string_view name() const override { return "fuse_gemm_activation"; }

  Expected<PassResult> run(Graph& graph) override {
    PassResult result;
    const Uses uses(graph);
    std::unordered_set<const Node*> claimed;
    std::vector<Match> matches;
    for (const auto& node : graph.nodes()) {
      const Node& base = *node;
      if (claimed.count(&base) || !is_fusable_product(base)) continue;
      Match m;
      m.base = &base;
      Value* y = base.output(0);
      if (base.op_type() == "MatMul") {
        const Node* add = uses.sole_reader(y);
        if (add && !claimed.count(add) && bias_operand(*add, y) && same_static_shape(add->output(0), y)) {
          m.bias_add = add;
          y = add->output(0);
        }
      }
      m.epilogue = match_epilogue(uses, y, claimed, true);
      // A Gemm already adds its bias: it needs something more to be worth a fused layer.
      if (m.bias_add == nullptr && m.epilogue.nodes.empty()) continue;
      claimed.insert(&base);
      if (m.bias_add) claimed.insert(m.bias_add);
      claimed.insert(m.epilogue.nodes.begin(), m.epilogue.nodes.end());
      matches.push_back(std::move(m));
    }
    std::vector<const Node*> erased;
    for (const Match& m : matches) {
      std::vector<const Node*> replaced{m.base};
      if (m.bias_add) replaced.push_back(m.bias_add);
      replaced.insert(replaced.end(), m.epilogue.nodes.begin(), m.epilogue.nodes.end());
      Value* b = m.base->input(1);
      Value* bias = nullptr;
      if (m.base->op_type() == "Gemm") {
        KILN_RETURN_IF_ERROR(gemm_operands(graph, *m.base, fused_name(replaced), b, bias));
      } else if (m.bias_add) {
        const Value* c = bias_operand(*m.bias_add, m.base->output(0));
        const int64_t n = c->constant().numel();
        bias = c->constant().rank() == 1 ? const_cast<Value*>(c)
                                         : add_constant(graph, c->name() + ".bias", c->constant().reshaped({n}));
      }
      std::vector<Value*> inputs{m.base->input(0), b, bias, m.epilogue.residual};
      while (inputs.back() == nullptr) inputs.pop_back();
      KILN_ASSIGN_OR_RETURN(Node * fused, add_replacement(graph, replaced, std::string(kFusedMatMulOp),
                                                          std::string(kKilnDomain), 1, inputs, {m.epilogue.output}, {}));
      set_activation_attrs(*fused, m.epilogue.activation);
      std::string what = m.base->op_type();
      if (m.bias_add) what += " + bias";
      if (!m.epilogue.nodes.empty()) what += " + " + m.epilogue.describe();
      result.events.push_back("fused '" + fused->name() + "' (" + what + ")");
      erased.insert(erased.end(), replaced.begin(), replaced.end());
    }
    graph.erase_nodes(erased);
    return result;
  }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_gemm_activation() { return std::make_unique<FuseGemmActivation>(); }

}  // namespace kiln
