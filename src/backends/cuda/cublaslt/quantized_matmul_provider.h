// kiln.QMatMul on cuBLASLt's int8 tensor cores (quantized_matmul_kernel.h).
#pragma once

#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

const TacticProvider& cublaslt_quantized_matmul_provider();

}  // namespace kiln::cuda
