#include "backends/cuda/kernels/elementwise/layout.h"

#include <algorithm>

#include "core/error.h"

namespace kiln::cuda::elementwise {

namespace {

using kiln_device::kMaxInputs;
using kiln_device::kMaxRank;

// Each input's element stride along each output dim (0 where it broadcasts).
Expected<std::vector<std::vector<int64_t>>> broadcast_strides(const std::vector<std::vector<int64_t>>& inputs,
                                                             const std::vector<int64_t>& out) {
  const size_t rank = out.size();
  std::vector<std::vector<int64_t>> strides;
  for (const auto& in : inputs) {
    if (in.size() > rank)
      return invalid_argument("input of shape {} does not broadcast to {}", dims_to_string(in), dims_to_string(out));
    std::vector<int64_t> s(rank, 0);
    int64_t stride = 1;
    for (size_t j = rank; j-- > rank - in.size();) {
      const int64_t d = in[j - (rank - in.size())];
      if (d == out[j]) {
        s[j] = d == 1 ? 0 : stride;
      } else if (d != 1) {
        return invalid_argument("input of shape {} does not broadcast to {}", dims_to_string(in), dims_to_string(out));
      }
      stride *= d;
    }
    strides.push_back(std::move(s));
  }
  return strides;
}

}  // namespace

Expected<ElementwiseLayout> plan_layout(const std::vector<std::vector<int64_t>>& input_dims,
                                        const std::vector<size_t>& input_bytes, const std::vector<int64_t>& output_dims,
                                        size_t output_bytes, const DeviceContext& dev) {
  if (input_dims.size() > static_cast<size_t>(kMaxInputs))
    return unsupported("{} inputs; the elementwise kernels take at most {}", input_dims.size(), kMaxInputs);
  ElementwiseLayout layout;
  layout.input_bytes = input_bytes;
  layout.output_bytes = output_bytes;
  kiln_device::ElementwiseParams& p = layout.params;
  p.numel = checked_numel(output_dims);
  if (p.numel < 0) return invalid_argument("output shape {} is invalid", dims_to_string(output_dims));
  p.num_inputs = static_cast<int>(input_dims.size());
  KILN_ASSIGN_OR_RETURN(auto strides, broadcast_strides(input_dims, output_dims));

  bool contiguous = true;
  for (size_t k = 0; k < input_dims.size(); ++k) {
    const int64_t n = checked_numel(input_dims[k]);
    if (n == 1) p.scalar_mask |= 1u << k;
    else if (n != p.numel) contiguous = false;
  }
  p.strided = contiguous ? 0 : 1;
  if (!contiguous) {
    // Drop size-1 dims, then merge neighbours that every input walks as one dim.
    std::vector<int64_t> dims;
    std::vector<std::vector<int64_t>> merged(input_dims.size());
    for (size_t j = 0; j < output_dims.size(); ++j) {
      if (output_dims[j] == 1) continue;
      bool joins = !dims.empty();
      for (size_t k = 0; k < strides.size() && joins; ++k) joins = merged[k].back() == strides[k][j] * output_dims[j];
      if (joins) {
        dims.back() *= output_dims[j];
        for (size_t k = 0; k < strides.size(); ++k) merged[k].back() = strides[k][j];
      } else {
        dims.push_back(output_dims[j]);
        for (size_t k = 0; k < strides.size(); ++k) merged[k].push_back(strides[k][j]);
      }
    }
    if (dims.size() > static_cast<size_t>(kMaxRank))
      return unsupported("broadcast over {} dims that do not coalesce; the elementwise kernels take at most {}",
                         dims.size(), kMaxRank);
    p.rank = static_cast<int>(dims.size());
    std::copy(dims.begin(), dims.end(), p.out_dims);
    for (size_t k = 0; k < merged.size(); ++k) std::copy(merged[k].begin(), merged[k].end(), p.in_strides[k]);
  }

  // Enough blocks to fill the GPU a few times over; the loop strides over the rest.
  const int64_t per_block = int64_t{kiln_device::kBlockThreads} * (contiguous ? kiln_device::kVecWidth : 1);
  const int64_t wanted = (p.numel + per_block - 1) / per_block;
  const int64_t cap = int64_t{std::max(dev.props.multiProcessorCount, 1)} * 16;
  layout.blocks = static_cast<unsigned>(std::clamp<int64_t>(wanted, 1, cap));
  return layout;
}

kiln_device::ElementwiseParams bind(const ElementwiseLayout& layout, const std::vector<const void*>& inputs, void* output) {
  kiln_device::ElementwiseParams p = layout.params;
  p.out = output;
  const auto aligned = [](const void* ptr, size_t bytes) {
    return reinterpret_cast<uintptr_t>(ptr) % (bytes * kiln_device::kVecWidth) == 0;
  };
  bool vectorizable = p.strided == 0 && aligned(output, layout.output_bytes);
  for (size_t k = 0; k < inputs.size(); ++k) {
    p.in[k] = inputs[k];
    if (((p.scalar_mask >> k) & 1u) == 0) vectorizable = vectorizable && aligned(inputs[k], layout.input_bytes[k]);
  }
  p.aligned = vectorizable ? 1 : 0;
  return p;
}

}  // namespace kiln::cuda::elementwise
