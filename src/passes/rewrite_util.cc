#include "passes/rewrite_util.h"

#include "backends/reference/executor.h"
#include "ir/op_schema.h"
#include "ir/ops/fused_ops.h"

namespace kiln {

namespace {

// Names a subgraph reads from enclosing scopes, at any depth.
void collect_captures(const Graph& graph, std::unordered_set<std::string>& names) {
  for (const Value* v : graph.captures()) names.insert(v->name());
  for (const auto& n : graph.nodes())
    for (const auto& [key, a] : n->attrs())
      if (a.type == AttrType::kGraph && a.g) collect_captures(*a.g, names);
}

}  // namespace

Uses::Uses(const Graph& graph) : graph_(graph), readers_(graph.consumers()) {
  for (const auto& n : graph.nodes())
    for (const auto& [key, a] : n->attrs())
      if (a.type == AttrType::kGraph && a.g) collect_captures(*a.g, captured_names_);
}

const std::vector<const Node*>& Uses::readers(const Value* v) const {
  static const std::vector<const Node*> kNone;
  auto it = readers_.find(v);
  return it == readers_.end() ? kNone : it->second;
}

bool Uses::is_pinned(const Value* v) const {
  return graph_.is_graph_output(v) || captured_names_.count(v->name()) != 0;
}

Node* Uses::sole_reader(const Value* v) const {
  const auto& r = readers(v);
  if (r.size() != 1 || is_pinned(v)) return nullptr;
  return const_cast<Node*>(r[0]);
}

std::string fused_name(const std::vector<const Node*>& replaced) {
  std::string name;
  for (const Node* n : replaced) name += (name.empty() ? "" : " + ") + n->name();
  return name;
}

Expected<Node*> add_replacement(Graph& graph, const std::vector<const Node*>& replaced, const std::string& op_type,
                                const std::string& domain, int opset, std::vector<Value*> inputs,
                                std::vector<Value*> outputs, std::map<std::string, Attribute> attrs) {
  const OpSchema* schema = OpRegistry::global().find(op_type, domain);
  if (schema == nullptr) return internal_error("no schema for {}", op_type);
  Node* node = graph.add_node(graph.unique_node_name(fused_name(replaced)), op_type, domain, opset);
  node->inputs() = std::move(inputs);
  node->outputs() = std::move(outputs);
  node->attrs() = std::move(attrs);
  node->set_schema(schema);
  for (Value* v : node->outputs())
    if (v) v->set_producer(node);
  Status s = schema->check_and_fill_defaults(*node);
  if (!s.ok()) return internal_error("{}: {}", node->describe(), s.message());
  return node;
}

Value* add_constant(Graph& graph, const std::string& base, Tensor value) {
  Value* v = *graph.add_value(graph.unique_value_name(base));
  v->set_constant(std::move(value));
  return v;
}

Expected<Tensor> compute_constant(const std::string& op_type, int opset, std::map<std::string, Attribute> attrs,
                                  const std::vector<const Tensor*>& inputs) {
  Node node = standalone_node(op_type, opset, std::move(attrs));
  // run_reference_node sizes the outputs by the node's output slots.
  Value out("out");
  node.outputs() = {&out};
  KILN_ASSIGN_OR_RETURN(auto outputs, run_reference_node(node, inputs));
  return outputs.at(0);
}

bool same_static_shape(const Value* a, const Value* b) {
  return a && b && a->shape().is_static() && a->shape() == b->shape();
}

}  // namespace kiln
