// Schemas of the nn op family, one file per kind of op.
#include "ir/op_schema.h"

namespace kiln {

void register_pool_schemas(OpRegistry& r);
void register_norm_schemas(OpRegistry& r);
void register_reduce_schemas(OpRegistry& r);
void register_softmax_schemas(OpRegistry& r);
void register_loss_schemas(OpRegistry& r);

void register_nn_schemas(OpRegistry& r) {
  register_pool_schemas(r);
  register_norm_schemas(r);
  register_reduce_schemas(r);
  register_softmax_schemas(r);
  register_loss_schemas(r);
}

}  // namespace kiln
