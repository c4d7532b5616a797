// Type checks and inference shared by the elementwise schemas (unary, activation, binary,
// cast): they all produce outputs shaped like their (broadcast) inputs and differ only in which
// element types they accept and which type they output.
#pragma once

#include <string_view>

#include "ir/op_schema.h"

namespace kiln {

// The element types an elementwise input accepts (the union over opsets 7..17: accepting a type
// a newer opset added is harmless for an older model).
enum class TypeSet {
  kFloat,          // float16, bfloat16, float32, float64
  kSignedNumeric,  // floats and signed integers
  kNumeric,        // floats and all integers
  kUnsigned,       // unsigned integers
  kBool,
  kAll,            // numeric and bool
};

// Error naming the input (and its ONNX name when given) when its known type is outside `set`.
Status check_input_type(const InferContext& ctx, int input, TypeSet set, std::string_view input_name);
// Error when two inputs' known types differ (ops whose inputs share one type variable).
Status check_same_type(const InferContext& ctx, int a, int b);

// Output 0 is shaped like input 0, of the same type; input 0 must be in `set`.
InferFn infer_unary(TypeSet set);
// Output 0 is input 0's shape with type `out` (IsNaN, IsInf give bool).
InferFn infer_unary_to(TypeSet set, DataType out);
// Every input shares one type in `set`; output 0 is their broadcast shape, of that type, or of
// `out` when given (comparisons give bool).
InferFn infer_broadcast(TypeSet set, DataType out = DataType::kUndefined);

}  // namespace kiln
