// The shared device code (params.inc, device_functions.inc) as text, for NVRTC.
#pragma once

#include <string_view>

namespace kiln::cuda::elementwise {

std::string_view device_source();

}  // namespace kiln::cuda::elementwise
