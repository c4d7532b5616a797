// Chains of elementwise ops become one kiln.Pointwise layer, whose `body` attribute holds the
// original nodes (a backend generates one kernel from it). A group is a tree: every value inside
// it has exactly one reader, in the group, so only its last node's output leaves it. Every node
// of a group computes the same static shape, and each input from outside broadcasts to it
// (LayerNorm's [1, 197, 1] statistics into its [1, 197, 768] normalization).
#include <algorithm>
#include <unordered_map>

#include "ir/ops/fused_ops.h"
#include "passes/passes.h"
#include "passes/rewrite_util.h"

namespace kiln {

namespace {

// Ops whose output is a function of the same element of each (broadcast) input, of the
// input's floating type.
bool is_elementwise(const Node& n) {
  static const std::unordered_set<std::string> kOps = {
      "Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Erf", "Floor", "Ceil", "Round", "Sin", "Cos", "Tanh",
      "Sigmoid", "Relu", "LeakyRelu", "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish", "Softplus", "Softsign",
      "Mish", "Gelu", "Clip", "PRelu", "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min"};
  return n.domain().empty() && n.outputs().size() == 1 && kOps.count(n.op_type()) != 0;
}

// Whether `in` broadcasts to `shape` without changing it.
bool broadcasts_to(const Shape& in, const Shape& shape) {
  if (!in.is_static() || in.rank() > shape.rank()) return false;
  for (int i = 1; i <= in.rank(); ++i) {
    const int64_t d = in[in.rank() - i].value;
    if (d != 1 && d != shape[shape.rank() - i].value) return false;
  }
  return true;
}

// A node that can be part of a group: elementwise, floating, statically shaped, inputs
// broadcasting to its output's shape.
bool groupable(const Node& n) {
  const Value* y = n.output(0);
  if (!is_elementwise(n) || y == nullptr || !is_floating(y->dtype()) || !y->shape().is_static()) return false;
  for (const Value* v : n.inputs())
    if (v && !broadcasts_to(v->shape(), y->shape())) return false;
  return true;
}

// The layer's body: copies of the group's nodes reading formal inputs (the values from outside;
// scalar constants are copied in, as a kernel generator wants literals).
struct Body {
  std::shared_ptr<Graph> graph = std::make_shared<Graph>();
  std::vector<Value*> outer_inputs;
};

Body make_body(const std::vector<const Node*>& group, const std::string& name) {
  Body body;
  Graph& g = *body.graph;
  g.name = name;
  std::unordered_map<const Value*, Value*> inner;
  auto map_input = [&](Value* v) -> Value* {
    if (v == nullptr) return nullptr;
    if (auto it = inner.find(v); it != inner.end()) return it->second;
    Value* c = *g.add_value(v->name());
    if (v->is_constant() && v->constant().numel() == 1) {
      c->set_constant(v->constant());
    } else {
      c->set_type(v->dtype(), v->shape());
      g.inputs().push_back(c);
      body.outer_inputs.push_back(v);
    }
    inner[v] = c;
    return c;
  };
  for (const Node* n : group) {
    Node* copy = g.add_node(n->name(), n->op_type(), n->domain(), n->opset());
    copy->attrs() = n->attrs();
    copy->set_schema(n->schema());
    for (Value* v : n->inputs()) copy->inputs().push_back(map_input(v));
    Value* out = *g.add_value(n->output(0)->name());
    out->set_type(n->output(0)->dtype(), n->output(0)->shape());
    out->set_producer(copy);
    copy->outputs().push_back(out);
    inner[n->output(0)] = out;
  }
  g.outputs().push_back(inner.at(group.back()->output(0)));
  return body;
}

class FusePointwiseChain final : public Pass {
 public:
  std::string_view name() const override { return "fuse_pointwise_chain"; }

  Expected<PassResult> run(Graph& graph) override {
    PassResult result;
    const Uses uses(graph);
    std::unordered_map<const Node*, size_t> position;
    for (size_t i = 0; i < graph.nodes().size(); ++i) position[graph.nodes()[i].get()] = i;
    // Groups grow in node (topological) order: a node joins the groups of the inputs whose only
    // reader it is, when they have its shape; the group's last node is its root.
    std::vector<std::vector<const Node*>> groups;
    std::unordered_map<const Node*, size_t> group_of;
    for (const auto& node : graph.nodes()) {
      const Node& n = *node;
      if (!groupable(n)) continue;
      std::vector<const Node*> members;
      for (const Value* v : n.inputs()) {
        const Node* p = v ? v->producer() : nullptr;
        auto it = p ? group_of.find(p) : group_of.end();
        if (it == group_of.end() || uses.sole_reader(v) != &n || !(v->shape() == n.output(0)->shape()) ||
            v->dtype() != n.output(0)->dtype())
          continue;
        auto& absorbed = groups[it->second];
        members.insert(members.end(), absorbed.begin(), absorbed.end());
        absorbed.clear();
      }
      members.push_back(&n);
      // Node order inside the group stays topological: absorbed groups came earlier.
      std::sort(members.begin(), members.end(), [&](const Node* a, const Node* b) { return position.at(a) < position.at(b); });
      for (const Node* m : members) group_of[m] = groups.size();
      groups.push_back(std::move(members));
    }
    std::vector<const Node*> erased;
    for (const auto& group : groups) {
      if (group.size() < 2) continue;
      const std::string name = fused_name(group);
      Body body = make_body(group, name);
      KILN_ASSIGN_OR_RETURN(Node * fused, add_replacement(graph, group, std::string(kPointwiseOp), std::string(kKilnDomain),
                                                          1, body.outer_inputs, {group.back()->output(0)},
                                                          {{"body", Attribute::of_graph(body.graph)}}));
      std::string ops;
      for (const Node* n : group) ops += (ops.empty() ? "" : ", ") + n->op_type();
      result.events.push_back("fused '" + fused->name() + "' (Pointwise: " + ops + ")");
      erased.insert(erased.end(), group.begin(), group.end());
    }
    graph.erase_nodes(erased);
    return result;
  }

};

}  // namespace

std::unique_ptr<Pass> make_fuse_pointwise_chain() { return std::make_unique<FusePointwiseChain>(); }

}  // namespace kiln
