// Built-in plugins for detection post-processing, lowered at import to Kiln's detection ops
// (plugin/lowered_plugin.h; semantics in ir/ops/kiln_detection_schemas.cc).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "plugin/lowered_plugin.h"

namespace kiln {

// Plugin `op` (version 1, namespace `plugin_namespace`) is the kiln op of the same name: its
// fields are the op's attributes, with the same names, types and defaults (YoloDecode,
// BatchedNMS).
std::unique_ptr<LoweredPluginCreator> make_kiln_op_plugin_creator(std::string_view op, std::string plugin_namespace);

// TensorRT's EfficientNMS_TRT (version 1) as kiln.BatchedNMS: fields score_threshold,
// iou_threshold, max_output_boxes, background_class (-1 only), score_activation (a Sigmoid on
// the scores first), class_agnostic, box_coding (0, corners, only); num_detections becomes
// [N, 1] through an Unsqueeze. docs/plugins.md lists where it differs from TensorRT.
std::unique_ptr<LoweredPluginCreator> make_efficient_nms_plugin_creator(std::string plugin_namespace);

}  // namespace kiln
