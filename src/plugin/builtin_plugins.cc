// Kiln's own plugins: creators registered in PluginRegistry::global() like a user's. The detection
// ones are the TensorRT-style names exporters write for YOLO decoding and NMS; Kiln lowers them
// to its detection ops at import (plugin/detection_plugins.h, docs/plugins.md "Built-in plugins").
// Nodes in the `kiln` domain need no plugin: kiln.YoloDecode and kiln.BatchedNMS are ops.
#include "ir/ops/batched_nms_params.h"
#include "ir/ops/yolo_decode_params.h"
#include "plugin/detection_plugins.h"
#include "plugin/plugin_registry.h"

namespace kiln {

void register_builtin_plugins(PluginRegistry& registry) {
  // The identities are distinct, so adding them cannot fail.
  (void)registry.add_creator(make_kiln_op_plugin_creator(kYoloDecodeOp, ""));
  (void)registry.add_creator(make_kiln_op_plugin_creator(kBatchedNmsOp, ""));
  // `g.op("TRT::EfficientNMS_TRT", ...)` exports use the domain "TRT"; graph-surgeon ones none.
  (void)registry.add_creator(make_efficient_nms_plugin_creator(""));
  (void)registry.add_creator(make_efficient_nms_plugin_creator("TRT"));
}

}  // namespace kiln
