// NumPy .npy files (format 1.0-3.0, C order, little-endian): the CLI's tensor exchange format.
#pragma once

#include <string>

#include "core/tensor.h"
#include "kiln/status.h"

namespace kiln {

Expected<Tensor> read_npy(const std::string& path);
// Parses an in-memory .npy image; `what` names it in errors.
Expected<Tensor> parse_npy(const std::string& bytes, const std::string& what);
Status write_npy(const std::string& path, const Tensor& t);

}  // namespace kiln
