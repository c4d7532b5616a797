#include "backends/cuda/kernels/elementwise/device_source.h"

#include <string>

namespace kiln::cuda::elementwise {

namespace {

// Each file's macro argument, stringized (one line of text each: NVRTC does not mind).
#define KILN_DEVICE_SOURCE(...) #__VA_ARGS__
constexpr char kParams[] =
#include "backends/cuda/kernels/elementwise/params.inc"
    ;
constexpr char kFunctions[] =
#include "backends/cuda/kernels/elementwise/device_functions.inc"
    ;
#undef KILN_DEVICE_SOURCE

}  // namespace

std::string_view device_source() {
  static const std::string source = std::string(kParams) + "\n" + kFunctions + "\n";
  return source;
}

}  // namespace kiln::cuda::elementwise
