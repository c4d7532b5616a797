// The one list of built-in schema families. Each family lives in its own file in this folder.
#include "ir/op_schema.h"

namespace kiln {

void register_unary_schemas(OpRegistry& r);
void register_activation_schemas(OpRegistry& r);
void register_binary_schemas(OpRegistry& r);
void register_cast_schemas(OpRegistry& r);
void register_tensor_schemas(OpRegistry& r);
void register_linalg_schemas(OpRegistry& r);
void register_conv_schemas(OpRegistry& r);
void register_quantize_schemas(OpRegistry& r);
void register_pool_schemas(OpRegistry& r);
void register_norm_schemas(OpRegistry& r);
void register_reduce_schemas(OpRegistry& r);
void register_softmax_schemas(OpRegistry& r);
void register_loss_schemas(OpRegistry& r);
void register_control_schemas(OpRegistry& r);
void register_rnn_schemas(OpRegistry& r);
void register_detection_schemas(OpRegistry& r);
void register_grid_sample_schemas(OpRegistry& r);
void register_signal_schemas(OpRegistry& r);
void register_fused_schemas(OpRegistry& r);
void register_plugin_schemas(OpRegistry& r);
void register_kiln_detection_schemas(OpRegistry& r);

void register_builtin_schemas(OpRegistry& r) {
  register_unary_schemas(r);
  register_activation_schemas(r);
  register_binary_schemas(r);
  register_cast_schemas(r);
  register_tensor_schemas(r);
  register_linalg_schemas(r);
  register_conv_schemas(r);
  register_quantize_schemas(r);
  register_pool_schemas(r);
  register_norm_schemas(r);
  register_reduce_schemas(r);
  register_softmax_schemas(r);
  register_loss_schemas(r);
  register_control_schemas(r);
  register_rnn_schemas(r);
  register_detection_schemas(r);
  register_grid_sample_schemas(r);
  register_signal_schemas(r);
  register_fused_schemas(r);
  register_plugin_schemas(r);
  register_kiln_detection_schemas(r);
}

}  // namespace kiln
