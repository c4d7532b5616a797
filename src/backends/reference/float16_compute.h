// Float16/BFloat16 kernels of the linalg family compute in float32: inputs are widened to a
// float32 copy, and the float32 result is narrowed into the 16-bit output.
#pragma once

#include "core/tensor.h"

namespace kiln {

bool is_float16_type(DataType t);
// A float32 copy of a float16/bfloat16 tensor; any other tensor is returned as it is.
Tensor widen_float16(const Tensor& t);
// Narrows float32 `src` into `dst` (float16 or bfloat16, same number of elements).
void narrow_float16(const Tensor& src, Tensor& dst);

}  // namespace kiln
