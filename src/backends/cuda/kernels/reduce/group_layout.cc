#include "backends/cuda/kernels/reduce/group_layout.h"

#include <limits>

#include "core/error.h"

namespace kiln::cuda::reduce {

Expected<GroupLayout> make_group_layout(const std::vector<int64_t>& dims, const std::vector<bool>& reduced) {
  int64_t numel = 1;
  for (int64_t d : dims) numel *= d;
  if (numel > std::numeric_limits<int32_t>::max())
    return unsupported("{} elements: Kiln's reduction kernels index in 32 bits", numel);
  GroupLayout l;
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  int last_kind = -1;  // 0 kept, 1 reduced: the kind of the previous axis of size > 1
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 1) continue;  // size-1 axes change nothing either way
    const int kind = reduced[i] ? 1 : 0;
    int& rank = kind ? l.reduced_rank : l.kept_rank;
    uint32_t* d = kind ? l.reduced_dims : l.kept_dims;
    uint32_t* s = kind ? l.reduced_strides : l.kept_strides;
    if (kind == last_kind) {
      // Merge with the previous axis of the same kind: it is the outer part of this one.
      d[rank - 1] *= static_cast<uint32_t>(dims[i]);
      s[rank - 1] = static_cast<uint32_t>(strides[i]);
    } else {
      if (rank == kMaxLayoutDims) return unsupported("more than {} alternating runs of reduced and kept axes", kMaxLayoutDims);
      d[rank] = static_cast<uint32_t>(dims[i]);
      s[rank] = static_cast<uint32_t>(strides[i]);
      ++rank;
    }
    last_kind = kind;
  }
  l.kept_innermost = last_kind == 0;
  for (int a = 0; a < l.kept_rank; ++a) l.groups *= l.kept_dims[a];
  for (int a = 0; a < l.reduced_rank; ++a) l.size *= l.reduced_dims[a];
  return l;
}

Expected<GroupLayout> make_axis_layout(const std::vector<int64_t>& dims, int axis) {
  std::vector<bool> reduced(dims.size(), false);
  reduced[static_cast<size_t>(axis)] = true;
  return make_group_layout(dims, reduced);
}

}  // namespace kiln::cuda::reduce
