// Kiln's precompiled elementwise kernels, one instantiation of the shared loop per op and dtype,
// found by the op's name and its dtypes. Host code only sees these function pointers; the
// kernels themselves live in the *_launchers.cu files.
#pragma once

#include <cuda_runtime.h>

#include <string_view>

#include "backends/cuda/kernels/elementwise/device_params.h"
#include "kiln/data_type.h"

namespace kiln::cuda::elementwise {

// Launches the kernel on `blocks` blocks of kBlockThreads threads; the launch's error, if any.
using Launcher = cudaError_t (*)(const kiln_device::OpAttrs& attrs, const kiln_device::ElementwiseParams& params,
                                 unsigned blocks, cudaStream_t stream);

// The kernel of ONNX op `op` (domain "") for these dtypes, or null when there is none. `first` is
// the dtype of input 0 (for Where: of X); `second` is Pow's exponent dtype or Cast's target
// dtype, and is ignored by the other ops.
Launcher find_launcher(std::string_view op, DataType first, DataType second);

// The per-file tables find_launcher joins.
Launcher find_unary_math_launcher(std::string_view op, DataType type);
Launcher find_activation_launcher(std::string_view op, DataType type);
Launcher find_binary_launcher(std::string_view op, DataType type);
Launcher find_multi_input_launcher(std::string_view op, DataType type, DataType second);
Launcher find_cast_launcher(DataType from, DataType to);

}  // namespace kiln::cuda::elementwise
