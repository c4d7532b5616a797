#include "plugin/lowered_plugin.h"

#include "core/error.h"
#include "ir/op_schema.h"

namespace kiln {

Expected<std::unique_ptr<Plugin>> LoweredPluginCreator::create(const std::vector<PluginField>& /*fields*/) const {
  return unsupported("{} is built in: Kiln imports it as its op kiln.{}, not as a plugin layer", identity().describe(),
                     kiln_op());
}

Expected<std::unique_ptr<Plugin>> LoweredPluginCreator::deserialize(const void* /*data*/, size_t /*size*/) const {
  return create({});
}

const LoweredPluginCreator* as_lowered(const PluginCreator& creator) {
  return dynamic_cast<const LoweredPluginCreator*>(&creator);
}

Expected<Node*> add_lowering_node(Graph& graph, const std::string& name, std::string op_type, int opset,
                                  std::vector<Value*> inputs, std::vector<Value*> outputs,
                                  std::map<std::string, Attribute> attrs) {
  const OpSchema* schema = OpRegistry::global().find(op_type, "");
  if (schema == nullptr) return internal_error("lowering node '{}': no schema for {}", name, op_type);
  Node* node = graph.add_node(name, std::move(op_type), "", opset);
  node->inputs() = std::move(inputs);
  node->outputs() = std::move(outputs);
  for (Value* v : node->outputs()) v->set_producer(node);
  node->attrs() = std::move(attrs);
  node->set_schema(schema);
  KILN_RETURN_IF_ERROR(schema->check_and_fill_defaults(*node));
  return node;
}

}  // namespace kiln
