// Gemm's C broadcast into Y before a product that then adds beta * Y in place (cuBLASLt's C
// cannot broadcast a column or a scalar). Declared without Kiln's heavy headers; nvcc compiles
// broadcast_fill.cu.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kiln/data_type.h"

namespace kiln::cuda {

// y [rows, cols] = c broadcast from [c_rows, c_cols] (each 1 or the full extent); dtype float32,
// float16 or bfloat16.
cudaError_t launch_broadcast_fill(DataType dtype, const void* c, int64_t c_rows, int64_t c_cols, void* y, int64_t rows,
                                  int64_t cols, cudaStream_t stream);

}  // namespace kiln::cuda
