// Splitting a tensor into its slices along one axis and stacking slices back along a new axis:
// how Scan feeds its body one step at a time and how Loop/Scan gather per-iteration outputs.
#pragma once

#include <vector>

#include "core/error.h"
#include "core/tensor.h"

namespace kiln {

// `dims` with entry `axis` removed.
std::vector<int64_t> dims_without_axis(std::vector<int64_t> dims, int axis);

// The slice at `index` along `axis`, with that axis removed (a copy).
Tensor slice_at(const Tensor& t, int axis, int64_t index);

// Stacks same-typed, same-shaped tensors along a new axis `axis` (0..rank). With no parts the
// result has `empty_part_dims` with a 0-sized axis inserted. Errors name the mismatching part.
Expected<Tensor> stack_along_axis(const std::vector<Tensor>& parts, int axis, DataType dtype,
                                  const std::vector<int64_t>& empty_part_dims);

}  // namespace kiln
