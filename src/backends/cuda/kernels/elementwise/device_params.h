// The elementwise kernels' argument block (params.inc) as C++ for the host and the .cu files.
#pragma once

#define KILN_DEVICE_SOURCE(...) __VA_ARGS__
#include "backends/cuda/kernels/elementwise/params.inc"
#undef KILN_DEVICE_SOURCE
