// Without CUDA the test plugin runs on the CPU only.
#include "scaled_interleave_kernel.h"

bool scaled_interleave_cuda_available() { return false; }

const char* scaled_interleave_cuda(int64_t, const float*, const float*, float*, float*, float*, int64_t, int64_t,
                                   float, void*) {
  return "built without CUDA";
}
