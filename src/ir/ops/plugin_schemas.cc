// kiln.Plugin: a layer implemented by a plugin (src/plugin/plugin_node.h). Its inputs, outputs,
// types and shapes are whatever the plugin says.
#include "ir/ops/fused_ops.h"
#include "ir/op_schema.h"
#include "plugin/plugin_node.h"
#include "plugin/plugin_shapes.h"

namespace kiln {

void register_plugin_schemas(OpRegistry& r) {
  constexpr int kMaxTensors = 1 << 16;
  r.add(OpSchema(std::string(kPluginOp), std::string(kKilnDomain))
            .inputs(0, kMaxTensors)
            .outputs(1, kMaxTensors)
            .required_attr(kPluginNameAttr, AttrType::kString)
            .required_attr(kPluginVersionAttr, AttrType::kString)
            .required_attr(kPluginNamespaceAttr, AttrType::kString)
            .required_attr(kPluginDataAttr, AttrType::kTensor)
            .infer(infer_plugin_node));
}

}  // namespace kiln
