// The one list of built-in schema families. Each family lives in its own file in this folder.
#include "ir/op_schema.h"

namespace kiln {

void register_elementwise_schemas(OpRegistry& r);
void register_tensor_schemas(OpRegistry& r);
void register_linalg_schemas(OpRegistry& r);
void register_nn_schemas(OpRegistry& r);
void register_control_schemas(OpRegistry& r);
void register_rnn_schemas(OpRegistry& r);
void register_detection_schemas(OpRegistry& r);
void register_grid_sample_schemas(OpRegistry& r);
void register_signal_schemas(OpRegistry& r);

void register_builtin_schemas(OpRegistry& r) {
  register_elementwise_schemas(r);
  register_tensor_schemas(r);
  register_linalg_schemas(r);
  register_nn_schemas(r);
  register_control_schemas(r);
  register_rnn_schemas(r);
  register_detection_schemas(r);
  register_grid_sample_schemas(r);
  register_signal_schemas(r);
}

}  // namespace kiln
