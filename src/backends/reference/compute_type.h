// The C++ type a kernel does arithmetic in for element type T: float for the 16-bit float
// storage types, T itself otherwise. (An alias also keeps commas out of dispatch-macro bodies.)
#pragma once

#include <type_traits>

#include "core/half.h"

namespace kiln {

template <class T>
using ComputeType = std::conditional_t<std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>, float, T>;

}  // namespace kiln
