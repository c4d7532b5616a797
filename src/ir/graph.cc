#include "ir/graph.h"

#include <algorithm>
#include <unordered_set>

#include "core/error.h"

namespace kiln {

void Value::set_constant(Tensor t) {
  dtype_ = t.dtype();
  shape_ = Shape::from_dims(t.dims());
  constant_ = std::move(t);
}

std::string Node::describe() const {
  std::string s = "node '" + name_ + "' (" + op_type_;
  if (!domain_.empty() && domain_ != "ai.onnx") s += ", domain '" + domain_ + "'";
  return s + ")";
}

const Attribute* Node::attr(const std::string& name) const {
  auto it = attrs_.find(name);
  return it == attrs_.end() ? nullptr : &it->second;
}

int64_t Node::attr_int(const std::string& name, int64_t fallback) const {
  const Attribute* a = attr(name);
  return a && a->type == AttrType::kInt ? a->i : fallback;
}
float Node::attr_float(const std::string& name, float fallback) const {
  const Attribute* a = attr(name);
  return a && a->type == AttrType::kFloat ? a->f : fallback;
}
std::string Node::attr_string(const std::string& name, const std::string& fallback) const {
  const Attribute* a = attr(name);
  return a && a->type == AttrType::kString ? a->s : fallback;
}
std::vector<int64_t> Node::attr_ints(const std::string& name, std::vector<int64_t> fallback) const {
  const Attribute* a = attr(name);
  return a && a->type == AttrType::kInts ? a->ints : fallback;
}
std::vector<float> Node::attr_floats(const std::string& name, std::vector<float> fallback) const {
  const Attribute* a = attr(name);
  return a && a->type == AttrType::kFloats ? a->floats : fallback;
}

Expected<Value*> Graph::add_value(const std::string& name) {
  if (value_by_name_.count(name)) return invalid_argument("tensor '{}' is defined more than once", name);
  values_.push_back(std::make_unique<Value>(name));
  Value* v = values_.back().get();
  value_by_name_[name] = v;
  return v;
}

Value* Graph::find_value(std::string_view name) const {
  auto it = value_by_name_.find(std::string(name));
  return it == value_by_name_.end() ? nullptr : it->second;
}

Value* Graph::get_or_add_value(const std::string& name) {
  if (Value* v = find_value(name)) return v;
  return *add_value(name);
}

Node* Graph::add_node(std::string name, std::string op_type, std::string domain, int opset) {
  nodes_.push_back(std::make_unique<Node>(std::move(name), std::move(op_type), std::move(domain), opset));
  return nodes_.back().get();
}

Status Graph::topological_sort() {
  std::unordered_set<const Value*> graph_inputs(inputs_.begin(), inputs_.end());
  graph_inputs.insert(captures_.begin(), captures_.end());
  // Every value read must be defined somewhere.
  for (const auto& n : nodes_) {
    for (const Value* v : n->inputs()) {
      if (v == nullptr) continue;
      if (v->producer() == nullptr && !v->is_constant() && !graph_inputs.count(v))
        return invalid_argument("tensor '{}' read by {} is never defined (not a graph input, initializer or node output)",
                                v->name(), n->describe());
    }
  }
  for (const Value* v : outputs_) {
    if (v->producer() == nullptr && !v->is_constant() && !graph_inputs.count(v))
      return invalid_argument("graph output '{}' is never defined", v->name());
  }
  // Kahn's algorithm, stable with respect to the original order.
  std::unordered_map<const Node*, size_t> pending;
  std::unordered_map<const Node*, std::vector<Node*>> users;
  for (const auto& n : nodes_) {
    std::unordered_set<const Node*> deps;
    for (const Value* v : n->inputs())
      if (v && v->producer()) deps.insert(v->producer());
    pending[n.get()] = deps.size();
    for (const Node* d : deps) users[d].push_back(n.get());
  }
  std::vector<std::unique_ptr<Node>> ordered;
  ordered.reserve(nodes_.size());
  std::vector<Node*> ready;
  std::unordered_map<const Node*, size_t> position;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    position[nodes_[i].get()] = i;
    if (pending[nodes_[i].get()] == 0) ready.push_back(nodes_[i].get());
  }
  std::vector<bool> emitted(nodes_.size(), false);
  // `ready` is kept as a min-heap on original position.
  auto later = [&](const Node* a, const Node* b) { return position[a] > position[b]; };
  std::make_heap(ready.begin(), ready.end(), later);
  std::vector<Node*> order;
  while (!ready.empty()) {
    std::pop_heap(ready.begin(), ready.end(), later);
    Node* n = ready.back();
    ready.pop_back();
    order.push_back(n);
    emitted[position[n]] = true;
    for (Node* u : users[n]) {
      if (--pending[u] == 0) {
        ready.push_back(u);
        std::push_heap(ready.begin(), ready.end(), later);
      }
    }
  }
  if (order.size() != nodes_.size()) {
    std::string names;
    int listed = 0;
    for (size_t i = 0; i < nodes_.size() && listed < 8; ++i) {
      if (emitted[i]) continue;
      names += (listed ? ", '" : "'") + nodes_[i]->name() + "'";
      ++listed;
    }
    return invalid_argument("the graph has a cycle through {} node(s): {}", nodes_.size() - order.size(), names);
  }
  for (auto& n : nodes_) n.release();  // ownership moves to `ordered` below
  for (Node* n : order) ordered.emplace_back(n);
  nodes_ = std::move(ordered);
  return Status::Ok();
}

std::vector<std::string> captured_names(const Node& node) {
  std::vector<std::string> names;
  for (const auto& [attr_name, a] : node.attrs()) {
    if (a.type != AttrType::kGraph || !a.g) continue;
    const Graph& body = *a.g;
    for (const Value* v : body.captures()) names.push_back(v->name());
    // A nested body's captures reach past this body unless this body defines them.
    for (const auto& inner : body.nodes())
      for (std::string& name : captured_names(*inner))
        if (!body.find_value(name)) names.push_back(std::move(name));
  }
  return names;
}

std::unordered_map<const Value*, std::vector<const Node*>> Graph::consumers() const {
  std::unordered_map<const Value*, std::vector<const Node*>> out;
  for (const auto& n : nodes_)
    for (const Value* v : n->inputs())
      if (v) out[v].push_back(n.get());
  return out;
}

}  // namespace kiln
