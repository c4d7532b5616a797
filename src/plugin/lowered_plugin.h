// Built-in plugins that Kiln implements with its own ops. Their creators are registered like any
// plugin's (so the importer finds them by name, version and namespace, and PluginRegistry::list()
// shows them), but the importer asks them to lower the node into Kiln ops instead of making a
// kiln.Plugin layer. Why: the ops they stand for (kiln.YoloDecode, kiln.BatchedNMS) already have
// a schema, a reference kernel and a CUDA tactic; as ops they get those, FP16/BF16 precision and
// plans that need no plugin, with no plugin layer in between (docs/plugins.md, "Built-in plugins").
#pragma once

#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "kiln/plugin.h"

namespace kiln {

class LoweredPluginCreator : public PluginCreator {
 public:
  // The `kiln` domain op the node becomes.
  virtual std::string_view kiln_op() const = 0;
  // Configures `node` (already a kiln_op() node with the ONNX node's inputs and outputs, no
  // attributes) from `fields` (checked against field_specs()): sets its attributes and may add
  // nodes around it, rewiring its inputs and outputs. The importer then checks the node against
  // its schema. Errors say which field is wrong.
  virtual Status lower(const std::vector<PluginField>& fields, Graph& graph, Node& node) const = 0;

  // No plugin layer exists for these identities.
  Expected<std::unique_ptr<Plugin>> create(const std::vector<PluginField>& fields) const final;
  Expected<std::unique_ptr<Plugin>> deserialize(const void* data, size_t size) const final;
};

// The creator as a LoweredPluginCreator, or null for a plugin with layers of its own.
const LoweredPluginCreator* as_lowered(const PluginCreator& creator);

// Adds a node of a standard ONNX op (at `opset`) to a graph being imported, with its schema
// checked and defaults filled in: for the nodes a lowering adds around its kiln op.
Expected<Node*> add_lowering_node(Graph& graph, const std::string& name, std::string op_type, int opset,
                                  std::vector<Value*> inputs, std::vector<Value*> outputs,
                                  std::map<std::string, Attribute> attrs = {});

}  // namespace kiln
