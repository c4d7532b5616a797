// Writing values computed in double into a numeric output tensor, for kernels that read
// their inputs with tensor_to_doubles and compute in double whatever the input type.
#pragma once

#include <vector>

#include "core/error.h"
#include "core/tensor.h"

namespace kiln {

// Converts values[i] to out's type (16-bit floats through float; integers truncate). Writes nothing into an
// undefined tensor (an output the node does not use). values must hold out.numel() entries.
Status store_doubles(const std::vector<double>& values, Tensor& out);

}  // namespace kiln
