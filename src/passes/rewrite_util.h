// What the fusion and folding passes share: who reads a value, creating a node that replaces
// others (named after them), new constants, and running a kernel to compute one.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/error.h"
#include "ir/graph.h"

namespace kiln {

// The readers of each value of a graph, as of construction (rebuild it after rewriting).
class Uses {
 public:
  explicit Uses(const Graph& graph);
  // Nodes reading v, once per input slot (a node reading v twice appears twice).
  const std::vector<const Node*>& readers(const Value* v) const;
  // Whether v must survive a rewrite: a graph output, or read by name from a subgraph.
  bool is_pinned(const Value* v) const;
  // The node reading v when it is v's only reader and v is not pinned: a value a fusion may
  // make internal to one layer.
  Node* sole_reader(const Value* v) const;

 private:
  const Graph& graph_;
  std::unordered_map<const Value*, std::vector<const Node*>> readers_;
  std::unordered_set<std::string> captured_names_;
};

// "conv1 + bn1 + relu1": a fused layer's name says what it replaced.
std::string fused_name(const std::vector<const Node*>& replaced);

// Adds a node that takes over `outputs` (values some replaced node produced; they keep their
// names, so readers and graph outputs are untouched), named after `replaced`, with its schema's
// defaults filled in. The caller erases the replaced nodes.
Expected<Node*> add_replacement(Graph& graph, const std::vector<const Node*>& replaced, const std::string& op_type,
                                const std::string& domain, int opset, std::vector<Value*> inputs,
                                std::vector<Value*> outputs, std::map<std::string, Attribute> attrs);

// A new constant value named after `base`.
Value* add_constant(Graph& graph, const std::string& base, Tensor value);

// Runs a standalone op (ir/ops/fused_ops.h) on constant tensors: Concat of weights, Transpose of
// a Gemm's B. Its one output.
Expected<Tensor> compute_constant(const std::string& op_type, int opset, std::map<std::string, Attribute> attrs,
                                  const std::vector<const Tensor*>& inputs);

// Values with a known static shape and the same one.
bool same_static_shape(const Value* a, const Value* b);

}  // namespace kiln
