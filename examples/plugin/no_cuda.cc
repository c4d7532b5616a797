// ScaledTanh built without CUDA: the CPU implementation only (supports_format says no to CUDA,
// so a CUDA engine runs the layer on the host).
#include "scaled_tanh_kernel.h"

bool scaled_tanh_has_cuda() { return false; }

const char* scaled_tanh_cuda(const float*, float*, int64_t, float, float, void*) { return "built without CUDA"; }
