// Schemas of the unary math and logic ops: one input, one output of the same shape.
#include "ir/ops/elementwise_infer.h"

namespace kiln {

void register_unary_schemas(OpRegistry& r) {
  for (const char* op : {"Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Cos", "Cosh", "Sin", "Sinh",
                         "Tan", "Tanh", "Ceil", "Floor", "Round", "Exp", "Log", "Reciprocal", "Sqrt"})
    r.add(OpSchema(op).inputs(1).outputs(1).infer(infer_unary(TypeSet::kFloat)));
  for (const char* op : {"Abs", "Sign", "Erf"})
    r.add(OpSchema(op).inputs(1).outputs(1).infer(infer_unary(TypeSet::kNumeric)));
  r.add(OpSchema("Neg").inputs(1).outputs(1).infer(infer_unary(TypeSet::kSignedNumeric)));
  r.add(OpSchema("Not").inputs(1).outputs(1).infer(infer_unary(TypeSet::kBool)));
  r.add(OpSchema("IsNaN").inputs(1).outputs(1).infer(infer_unary_to(TypeSet::kFloat, DataType::kBool)));
  r.add(OpSchema("IsInf")
            .inputs(1)
            .outputs(1)
            .attr("detect_negative", Attribute::of_int(1))
            .attr("detect_positive", Attribute::of_int(1))
            .infer(infer_unary_to(TypeSet::kFloat, DataType::kBool)));
}

}  // namespace kiln
