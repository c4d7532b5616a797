// FP8 (float8e4m3) kiln.QMatMul, and channels-last 1x1 stride-1 kiln.QConv, on cuBLASLt's FP8
// tensor-core kernels (quantized_matmul_kernel.h, float32 accumulators then the epilogue kernel).
#pragma once

#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

const TacticProvider& cublaslt_fp8_matmul_provider();

}  // namespace kiln::cuda
