// Schemas of the control op family.
#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

void register_control_schemas(OpRegistry& r) { (void)r; }

}  // namespace kiln
