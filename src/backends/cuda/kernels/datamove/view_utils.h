// Host-side helpers of the data-movement providers: building strided views, picking copy word
// sizes, reading shape-like constants, uploading tables.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "backends/cuda/device_context.h"
#include "backends/cuda/kernels/datamove/index_math.h"
#include "backends/cuda/layer_kernel.h"
#include "core/error.h"

namespace kiln::cuda::datamove {

// A view with size-1 dims dropped and neighbouring dims merged where the source walks them as one
// (so kernels do as little index math as possible); unsupported when more than kMaxDims remain.
Expected<StridedView> merged_view(std::vector<int64_t> dims, std::vector<int64_t> strides, int64_t offset = 0);
// The view as given, for maps whose per-dim arrays line up with other per-dim data.
Expected<StridedView> exact_view(const std::vector<int64_t>& dims, const std::vector<int64_t>& strides);
// A tensor of `dims` read transposed: output dim k is input dim perm[k].
Expected<StridedView> permuted_view(const std::vector<int64_t>& dims, const std::vector<int64_t>& perm);

// A transpose seen as `batch` row-major rows x cols matrices, each transposed: what the tiled and
// to-minor kernels take (the NCHW <-> NHWC reformats are [N, C, HW] <-> [N, HW, C]).
struct BatchedSwap {
  int64_t batch = 1, rows = 0, cols = 0;
};
// The tensor of `dims` transposed by `perm` as such a swap (after merging axes that stay
// together), when it is one.
std::optional<BatchedSwap> batched_swap(const std::vector<int64_t>& dims, const std::vector<int64_t>& perm);

// The widest word (8, 4, 2 bytes, at least elem_bytes) dividing every value: byte counts, byte
// offsets and addresses a copy touches.
int widest_word(int elem_bytes, const std::vector<uint64_t>& values);
// When the view's innermost dim is contiguous, regroups its elements into wider words where sizes,
// strides and both addresses allow; returns the elements per word (1 when it cannot).
int64_t widen(StridedView& view, int elem_bytes, const void* src, const void* dst);

// Unsupported unless `dtype`'s elements are 1, 2, 4 or 8 bytes (what the kernels move).
Status check_payload(DataType dtype, std::string_view what);
// The integer values of constant input `input` (named `name` in errors); unsupported when the input
// is not a constant.
Expected<std::vector<int64_t>> constant_ints(const LayerSpec& spec, size_t input, std::string_view name);
// The host constant of input `input`, null when absent; unsupported when present but not constant.
Expected<const Tensor*> optional_constant(const LayerSpec& spec, size_t input, std::string_view name);
// A tensor's element count.
int64_t element_count(const std::vector<int64_t>& dims);

}  // namespace kiln::cuda::datamove
