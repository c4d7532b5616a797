// Graph mutation used by optimization passes, and deep copy (the builder optimizes a copy so the
// user's Network stays as imported).
#include <unordered_set>

#include "ir/graph.h"

namespace kiln {

void Graph::replace_uses(const Value* from, Value* to) {
  for (auto& n : nodes_)
    for (Value*& v : n->inputs())
      if (v == from) v = to;
}

void Graph::erase_nodes(const std::vector<const Node*>& nodes) {
  std::unordered_set<const Node*> doomed(nodes.begin(), nodes.end());
  for (auto& v : values_)
    if (doomed.count(v->producer())) v->set_producer(nullptr);
  std::vector<std::unique_ptr<Node>> kept;
  kept.reserve(nodes_.size());
  for (auto& n : nodes_)
    if (!doomed.count(n.get())) kept.push_back(std::move(n));
  nodes_ = std::move(kept);
}

void Graph::prune_values() {
  std::unordered_set<const Value*> live(inputs_.begin(), inputs_.end());
  live.insert(outputs_.begin(), outputs_.end());
  live.insert(captures_.begin(), captures_.end());
  for (const auto& n : nodes_) {
    for (const Value* v : n->inputs()) live.insert(v);
    for (const Value* v : n->outputs()) live.insert(v);
  }
  std::vector<std::unique_ptr<Value>> kept;
  for (auto& v : values_) {
    if (live.count(v.get())) {
      kept.push_back(std::move(v));
    } else {
      value_by_name_.erase(v->name());
    }
  }
  values_ = std::move(kept);
}

bool Graph::is_graph_output(const Value* v) const {
  for (const Value* o : outputs_)
    if (o == v) return true;
  return false;
}

std::string Graph::unique_node_name(const std::string& base) const {
  std::unordered_set<std::string> names;
  for (const auto& n : nodes_) names.insert(n->name());
  if (!names.count(base)) return base;
  for (int i = 2;; ++i) {
    std::string candidate = base + "_" + std::to_string(i);
    if (!names.count(candidate)) return candidate;
  }
}

std::string Graph::unique_value_name(const std::string& base) const {
  if (!find_value(base)) return base;
  for (int i = 2;; ++i) {
    std::string candidate = base + "_" + std::to_string(i);
    if (!find_value(candidate)) return candidate;
  }
}

std::unique_ptr<Graph> Graph::clone() const {
  auto g = std::make_unique<Graph>();
  g->name = name;
  std::unordered_map<const Value*, Value*> map;
  for (const auto& v : values_) {
    Value* c = *g->add_value(v->name());
    if (v->is_constant()) c->set_constant(v->constant());
    else c->set_type(v->dtype(), v->shape());
    map[v.get()] = c;
  }
  auto mapped = [&](const Value* v) { return v ? map.at(v) : nullptr; };
  for (const auto& n : nodes_) {
    Node* c = g->add_node(n->name(), n->op_type(), n->domain(), n->opset());
    c->attrs() = n->attrs();
    c->set_schema(n->schema());
    for (const Value* v : n->inputs()) c->inputs().push_back(mapped(v));
    for (const Value* v : n->outputs()) {
      Value* o = mapped(v);
      if (o) o->set_producer(c);
      c->outputs().push_back(o);
    }
  }
  for (const Value* v : inputs_) g->inputs().push_back(mapped(v));
  for (const Value* v : outputs_) g->outputs().push_back(mapped(v));
  for (const Value* v : captures_) g->captures().push_back(mapped(v));
  return g;
}

}  // namespace kiln
