// Constant folding by running the reference kernels: a layer whose inputs are all constants
// becomes a constant. Shape and Size of a tensor with a static shape are constants too, which
// turns Shape -> Gather -> Concat -> Reshape chains into a constant Reshape target.
#include "backends/reference/executor.h"
#include "passes/passes.h"
#include "plugin/plugin_node.h"

namespace kiln {

namespace {

// Ops whose output is not a function of their inputs.
bool is_nondeterministic(const std::string& op) {
  return op == "RandomNormal" || op == "RandomUniform" || op == "RandomNormalLike" ||
         op == "RandomUniformLike" || op == "Bernoulli" || op == "Multinomial";
}

// Folding must not blow up the plan: a layer that makes a huge constant out of a small one
// (ConstantOfShape, Expand, Tile) stays a layer.
constexpr size_t kMaxFoldedBytes = size_t{16} << 20;

bool has_subgraph(const Node& n) {
  for (const auto& [k, a] : n.attrs())
    if (a.type == AttrType::kGraph) return true;
  return false;
}

// Shape / Size of a statically shaped value, computed without running anything.
std::optional<Tensor> fold_shape_query(const Node& n) {
  if (!n.domain().empty() || (n.op_type() != "Shape" && n.op_type() != "Size")) return std::nullopt;
  const Value* in = n.input(0);
  if (in == nullptr) return std::nullopt;
  auto dims = in->shape().static_dims();
  if (!dims) return std::nullopt;
  Tensor t(DataType::kInt64, {static_cast<int64_t>(dims->size())});
  for (size_t i = 0; i < dims->size(); ++i) t.data<int64_t>()[i] = (*dims)[i];
  // Shape(start, end) and Size reuse the reference kernel on a stand-in of the right shape.
  std::vector<const Tensor*> inputs;
  Tensor stand_in = Tensor::wrap(in->dtype(), *dims, nullptr, nullptr);
  inputs.push_back(&stand_in);
  auto out = run_reference_node(n, inputs);
  if (!out.ok() || out->empty()) return std::nullopt;
  return (*out)[0];
}

class ConstantFolding final : public Pass {
 public:
  std::string_view name() const override { return "constant_folding"; }

  Expected<PassResult> run(Graph& graph) override {
    PassResult result;
    std::vector<const Node*> folded;
    for (const auto& node : graph.nodes()) {
      const Node& n = *node;
      std::vector<Tensor> outputs;
      if (auto shape = fold_shape_query(n)) {
        outputs.push_back(*shape);
      } else {
        // A plugin may implement only the device the engine is for, so it never runs at build.
        if (is_nondeterministic(n.op_type()) || has_subgraph(n) || n.inputs().empty() || is_plugin_node(n)) continue;
        std::vector<const Tensor*> inputs;
        bool all_constant = true;
        for (const Value* v : n.inputs()) {
          if (v && !v->is_constant()) all_constant = false;
          inputs.push_back(v ? &v->constant() : nullptr);
          if (!all_constant) break;
        }
        if (!all_constant) continue;
        auto out = run_reference_node(n, inputs);
        if (!out.ok()) continue;  // leave it to fail (or not) at run time, with its own message
        outputs = std::move(out).value();
      }
      bool small = true;
      for (const Tensor& t : outputs) small &= t.nbytes() <= kMaxFoldedBytes;
      if (!small) continue;
      for (size_t i = 0; i < outputs.size() && i < n.outputs().size(); ++i)
        if (Value* v = n.outputs()[i]) {
          v->set_producer(nullptr);
          v->set_constant(outputs[i]);
        }
      folded.push_back(&n);
      result.events.push_back("folded '" + n.name() + "' (" + n.op_type() + ") into a constant");
    }
    graph.erase_nodes(folded);
    return result;
  }
};

}  // namespace

std::unique_ptr<Pass> make_constant_folding() { return std::make_unique<ConstantFolding>(); }

}  // namespace kiln
