#include "backends/reference/reduce_layout.h"

namespace kiln {

ReduceLayout::ReduceLayout(const std::vector<int64_t>& dims, const std::vector<bool>& reduced) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  int last_kind = -1;  // 0 kept, 1 reduced: the kind of the previous non-unit axis
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 1) continue;  // size-1 axes change nothing either way
    const int kind = reduced[i] ? 1 : 0;
    auto& d = kind ? reduced_dims_ : kept_dims_;
    auto& s = kind ? reduced_strides_ : kept_strides_;
    if (kind == last_kind) {
      // Merge with the previous axis of the same kind: it is the outer part of this one.
      d.back() *= dims[i];
      s.back() = strides[i];
    } else {
      d.push_back(dims[i]);
      s.push_back(strides[i]);
    }
    last_kind = kind;
  }
  if (reduced_dims_.empty()) {
    reduced_dims_.push_back(1);
    reduced_strides_.push_back(1);
  }
  for (int64_t d : kept_dims_) num_outputs_ *= d;
  for (int64_t d : reduced_dims_) reduce_size_ *= d;
}

int64_t ReduceLayout::first_offset(int64_t o) const {
  int64_t offset = 0;
  for (size_t a = kept_dims_.size(); a-- > 0;) {
    offset += (o % kept_dims_[a]) * kept_strides_[a];
    o /= kept_dims_[a];
  }
  return offset;
}

}  // namespace kiln
