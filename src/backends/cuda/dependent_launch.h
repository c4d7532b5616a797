// Programmatic dependent launch between Kiln's own kernels (Hopper and later): a kernel launched
// with launch_dependent() may start while the kernel before it on the stream is finishing, so its
// blocks are scheduled and do their setup (tile indices, loader addresses) under the other's last
// wave instead of after a full drain and launch. Every kernel launched this way must call
// wait_for_prior_grids() before its first global memory access that another kernel may have
// written, or may still read (the arena reuses buffers): that wait returns once the kernels before
// it have completed and their writes are visible. A kernel calls allow_dependent_launch() once
// the rest of its work no longer needs the SM to itself (after its main loop): the next kernel's
// blocks may then be placed. Kernels launched by the libraries (cuDNN, cuBLASLt) take no part:
// those launch as usual, after everything before them.
//
// KILN_DISABLE_PDL=1 in the environment launches these kernels the usual way, for comparisons.
#pragma once

#include <cuda_runtime.h>

#include <cstdlib>
#include <utility>

namespace kiln::cuda {

#if defined(__CUDACC__)
// griddepcontrol exists from sm_90 on; on older targets the kernels run serialized anyway.
__device__ __forceinline__ void wait_for_prior_grids() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}
__device__ __forceinline__ void allow_dependent_launch() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}
#endif

// Whether launch_dependent() sets the attribute (read once: KILN_DISABLE_PDL unset or "0").
inline bool dependent_launch_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("KILN_DISABLE_PDL");
    return v == nullptr || v[0] == '\0' || (v[0] == '0' && v[1] == '\0');
  }();
  return enabled;
}

// kernel<<<grid, block, shared_bytes, stream>>>(args...), allowed to overlap the end of the
// kernel before it (see above). The kernel must wait_for_prior_grids().
template <class... Params, class... Args>
cudaError_t launch_dependent(void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared_bytes,
                             cudaStream_t stream, Args&&... args) {
  cudaLaunchAttribute attribute{};
  attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute.val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = shared_bytes;
  config.stream = stream;
  config.attrs = &attribute;
  config.numAttrs = dependent_launch_enabled() ? 1 : 0;
  return cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...);
}

}  // namespace kiln::cuda
