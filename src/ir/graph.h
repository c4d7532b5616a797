// The graph IR: Values (tensors) produced and consumed by Nodes (ops), in a Graph that owns both.
// A Value is produced by exactly one node, or is a graph input, or is a constant (initializer).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/shape.h"
#include "core/tensor.h"
#include "ir/attribute.h"
#include "kiln/status.h"

namespace kiln {

class Node;
struct OpSchema;

class Value {
 public:
  explicit Value(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }

  DataType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  void set_type(DataType dtype, Shape shape) {
    dtype_ = dtype;
    shape_ = std::move(shape);
  }

  // Node that produces this value; null for graph inputs and constants.
  Node* producer() const { return producer_; }
  void set_producer(Node* n) { producer_ = n; }

  bool is_constant() const { return constant_.has_value(); }
  const Tensor& constant() const { return *constant_; }
  void set_constant(Tensor t);

 private:
  std::string name_;
  DataType dtype_ = DataType::kUndefined;
  Shape shape_;
  Node* producer_ = nullptr;
  std::optional<Tensor> constant_;
};

class Node {
 public:
  Node(std::string name, std::string op_type, std::string domain, int opset)
      : name_(std::move(name)), op_type_(std::move(op_type)), domain_(std::move(domain)),
        opset_(opset) {}

  const std::string& name() const { return name_; }
  const std::string& op_type() const { return op_type_; }
  const std::string& domain() const { return domain_; }
  // The model's opset version for this node's domain.
  int opset() const { return opset_; }
  // "node 'conv1' (Conv)": how errors name a node.
  std::string describe() const;

  // Optional inputs that are absent are null.
  std::vector<Value*>& inputs() { return inputs_; }
  const std::vector<Value*>& inputs() const { return inputs_; }
  std::vector<Value*>& outputs() { return outputs_; }
  const std::vector<Value*>& outputs() const { return outputs_; }
  Value* input(int i) const {
    return i < static_cast<int>(inputs_.size()) ? inputs_[static_cast<size_t>(i)] : nullptr;
  }
  Value* output(int i) const {
    return i < static_cast<int>(outputs_.size()) ? outputs_[static_cast<size_t>(i)] : nullptr;
  }

  const std::map<std::string, Attribute>& attrs() const { return attrs_; }
  std::map<std::string, Attribute>& attrs() { return attrs_; }
  bool has_attr(const std::string& name) const { return attrs_.count(name) != 0; }
  const Attribute* attr(const std::string& name) const;
  // Typed getters. The schema has filled defaults in, so a missing attribute here means the
  // schema declares no default; these then return `fallback`.
  int64_t attr_int(const std::string& name, int64_t fallback = 0) const;
  float attr_float(const std::string& name, float fallback = 0.f) const;
  std::string attr_string(const std::string& name, const std::string& fallback = "") const;
  std::vector<int64_t> attr_ints(const std::string& name, std::vector<int64_t> fallback = {}) const;
  std::vector<float> attr_floats(const std::string& name, std::vector<float> fallback = {}) const;

  const OpSchema* schema() const { return schema_; }
  void set_schema(const OpSchema* s) { schema_ = s; }

 private:
  std::string name_;
  std::string op_type_;
  std::string domain_;
  int opset_;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
  std::map<std::string, Attribute> attrs_;
  const OpSchema* schema_ = nullptr;
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  std::string name;

  // Creates a value; an existing name is an error (every tensor name is defined once).
  Expected<Value*> add_value(const std::string& name);
  Value* find_value(std::string_view name) const;
  // Finds or creates (for wiring node inputs whose producer comes later).
  Value* get_or_add_value(const std::string& name);

  Node* add_node(std::string name, std::string op_type, std::string domain, int opset);
  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }

  std::vector<Value*>& inputs() { return inputs_; }
  const std::vector<Value*>& inputs() const { return inputs_; }
  std::vector<Value*>& outputs() { return outputs_; }
  const std::vector<Value*>& outputs() const { return outputs_; }
  const std::vector<std::unique_ptr<Value>>& values() const { return values_; }
  // Values a subgraph (If/Loop/Scan body) reads from its enclosing graphs, resolved by name
  // when the body runs.
  std::vector<Value*>& captures() { return captures_; }
  const std::vector<Value*>& captures() const { return captures_; }

  // Orders nodes so every producer comes before its consumers. A cycle is an error naming the
  // nodes on it. A value that is used but never defined (not an input, constant or node output)
  // is an error naming the value and its first consumer.
  Status topological_sort();

  // For each value, the nodes that read it (in node order).
  std::unordered_map<const Value*, std::vector<const Node*>> consumers() const;

  // --- Rewriting, for passes ---
  // Every node input reading `from` reads `to` instead (graph outputs are left alone: a pass
  // that removes a graph output's producer must keep the output's name).
  void replace_uses(const Value* from, Value* to);
  // Removes nodes; their outputs stay as values without a producer until prune_values().
  void erase_nodes(const std::vector<const Node*>& nodes);
  // Drops values nothing defines or reads (not inputs, outputs, captures or node outputs).
  void prune_values();
  bool is_graph_output(const Value* v) const;
  // Node names must stay unique; returns `base` or `base_2`, `base_3`, ...
  std::string unique_node_name(const std::string& base) const;
  // Value names likewise.
  std::string unique_value_name(const std::string& base) const;

  // A deep copy (constants share their immutable storage; subgraphs are shared).
  std::unique_ptr<Graph> clone() const;

 private:
  std::vector<std::unique_ptr<Value>> values_;
  std::unordered_map<std::string, Value*> value_by_name_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
  std::vector<Value*> captures_;
};

// Readable text form of a graph: inputs, constants, one line per node, outputs.
std::string dump_graph(const Graph& g);

}  // namespace kiln
