// The reference backend's kernel interface: a plain, correct C++ implementation per op.
// These kernels are the oracle every optimized backend is tested against, and what constant
// folding runs.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace kiln {

// Runs a subgraph (If/Loop/Scan bodies). `inputs` bind the subgraph's formal inputs in order;
// names the subgraph reads from enclosing scopes are resolved by the runner.
using SubgraphRunner =
    std::function<Expected<std::vector<Tensor>>(const Graph& body, const std::vector<Tensor>& inputs)>;

class KernelContext {
 public:
  KernelContext(const Node& node, std::vector<const Tensor*> inputs, std::vector<Tensor> outputs,
                const SubgraphRunner* subgraphs = nullptr)
      : node_(node), inputs_(std::move(inputs)), outputs_(std::move(outputs)), subgraphs_(subgraphs) {}

  const Node& node() const { return node_; }
  int opset() const { return node_.opset(); }

  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  bool has_input(int i) const {
    return i >= 0 && i < num_inputs() && inputs_[static_cast<size_t>(i)] != nullptr;
  }
  // Only valid when has_input(i).
  const Tensor& input(int i) const { return *inputs_[static_cast<size_t>(i)]; }

  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  // Preallocated (zero-filled) with the inferred type and shape.
  Tensor& output(int i) { return outputs_[static_cast<size_t>(i)]; }
  // Replaces an output, for ops whose output shape depends on computed data.
  void set_output(int i, Tensor t) { outputs_[static_cast<size_t>(i)] = std::move(t); }
  std::vector<Tensor>& outputs() { return outputs_; }

  const SubgraphRunner* subgraphs() const { return subgraphs_; }

 private:
  const Node& node_;
  std::vector<const Tensor*> inputs_;
  std::vector<Tensor> outputs_;
  const SubgraphRunner* subgraphs_;
};

using KernelFn = std::function<Status(KernelContext&)>;

class KernelRegistry {
 public:
  // The registry with every reference kernel registered.
  static KernelRegistry& global();
  void add(std::string op_type, KernelFn fn, std::string domain = "");
  const KernelFn* find(std::string_view op_type, std::string_view domain) const;

 private:
  std::unordered_map<std::string, KernelFn> by_key_;
};

// Reference kernel families (src/backends/reference/*.cc); all_kernels.cc calls each once.
void register_builtin_kernels(KernelRegistry& registry);

}  // namespace kiln
