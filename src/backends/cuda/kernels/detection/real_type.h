// The floating types the detection kernels read and write (each exactly representable in float),
// chosen at run time so one kernel serves every combination of box, score and threshold types.
#pragma once

#include <optional>

#include "kiln/data_type.h"

namespace kiln::cuda::detection {

enum class RealType : int { kFloat32, kFloat16, kBFloat16 };

inline std::optional<RealType> real_type_of(DataType t) {
  switch (t) {
    case DataType::kFloat32: return RealType::kFloat32;
    case DataType::kFloat16: return RealType::kFloat16;
    case DataType::kBFloat16: return RealType::kBFloat16;
    default: return std::nullopt;
  }
}

}  // namespace kiln::cuda::detection
