// Many tensor kernels work along one axis and treat everything before it and after it as flat:
// a tensor seen as [outer, dim, inner]. This is that view.
#pragma once

#include <cstdint>
#include <vector>

namespace kiln {

struct AxisView {
  int64_t outer = 1;  // product of the dims before the axis
  int64_t dim = 1;    // the axis
  int64_t inner = 1;  // product of the dims after it
};

inline AxisView axis_view(const std::vector<int64_t>& dims, int axis) {
  AxisView v;
  for (int d = 0; d < static_cast<int>(dims.size()); ++d) {
    const int64_t n = dims[static_cast<size_t>(d)];
    if (d < axis) v.outer *= n;
    else if (d > axis) v.inner *= n;
    else v.dim = n;
  }
  return v;
}

}  // namespace kiln
