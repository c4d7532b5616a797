// Schemas of the tensor op family.
#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

void register_tensor_schemas(OpRegistry& r) { (void)r; }

}  // namespace kiln
