// Builds the GroupLayout (launchers.h) that views a tensor as groups folded over some axes.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/cuda/kernels/reduce/launchers.h"
#include "kiln/status.h"

namespace kiln::cuda::reduce {

// `reduced[i]` says whether axis i of `dims` folds into the groups. Unsupported when the
// tensor has 2^31 elements or more (kernels index in 32 bits) or more than kMaxLayoutDims
// alternating runs of kept and reduced axes.
Expected<GroupLayout> make_group_layout(const std::vector<int64_t>& dims, const std::vector<bool>& reduced);

// The layout of one axis of `dims` reduced, as ArgMax, softmax (opset >= 13) and
// LpNormalization use it.
Expected<GroupLayout> make_axis_layout(const std::vector<int64_t>& dims, int axis);

}  // namespace kiln::cuda::reduce
