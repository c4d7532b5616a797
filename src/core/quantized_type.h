// The 8-bit types Kiln quantizes activations and weights to (INT8 and FP8 modes), and the
// largest magnitude of each: symmetric scales are a threshold divided by it.
#pragma once

#include "core/float8.h"
#include "kiln/data_type.h"

namespace kiln {

inline bool is_symmetric_quantized_type(DataType t) { return t == DataType::kInt8 || t == DataType::kFloat8E4M3; }

// 127 for int8 (symmetric, so -128 is unused), 448 for float8e4m3; 0 for any other type.
inline float quantized_type_max(DataType t) {
  switch (t) {
    case DataType::kInt8: return 127.f;
    case DataType::kFloat8E4M3: return kFloat8E4M3Max;
    default: return 0.f;
  }
}

// "int8" / "fp8": what reports, cache headers and tactic names say.
inline const char* quantized_type_tag(DataType t) { return t == DataType::kFloat8E4M3 ? "fp8" : "int8"; }

}  // namespace kiln
