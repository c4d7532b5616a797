// How an elementwise layer's inputs map onto its output, planned once at create(): the kernel's
// argument block with everything but the pointers filled in. Inputs that have the output's
// shape (or hold one element) run in contiguous mode, vectorized when the pointers allow; any
// other broadcast runs in strided mode over the output's dims, coalesced as far as every input
// allows so the index math is short.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/cuda/kernels/elementwise/device_params.h"
#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda::elementwise {

struct ElementwiseLayout {
  kiln_device::ElementwiseParams params{};
  // Bytes per element of each kernel input and of the output, for the alignment check.
  std::vector<size_t> input_bytes;
  size_t output_bytes = 0;
  // Blocks of kBlockThreads to launch.
  unsigned blocks = 1;
};

// The layout for inputs of `input_dims` (numpy-broadcast to `output_dims`) with those element
// sizes, on `dev`. Unsupported beyond kMaxInputs inputs or kMaxRank coalesced dims; invalid when
// an input does not broadcast to the output.
Expected<ElementwiseLayout> plan_layout(const std::vector<std::vector<int64_t>>& input_dims,
                                        const std::vector<size_t>& input_bytes, const std::vector<int64_t>& output_dims,
                                        size_t output_bytes, const DeviceContext& dev);

// The argument block for these device pointers (kernel-input order), with the vector path on
// when every full-size pointer is aligned for it.
kiln_device::ElementwiseParams bind(const ElementwiseLayout& layout, const std::vector<const void*>& inputs, void* output);

}  // namespace kiln::cuda::elementwise
