#include "backends/reference/broadcast.h"

namespace kiln {

std::vector<int64_t> broadcast_strides(const std::vector<int64_t>& in_dims,
                                       const std::vector<int64_t>& out_dims) {
  const size_t r = out_dims.size();
  std::vector<int64_t> strides(r, 0);
  int64_t stride = 1;
  for (size_t k = 0; k < in_dims.size(); ++k) {
    const size_t i = in_dims.size() - 1 - k;  // input axis
    const size_t o = r - 1 - k;               // output axis
    strides[o] = in_dims[i] == 1 ? 0 : stride;
    stride *= in_dims[i];
  }
  return strides;
}

BroadcastIterator::BroadcastIterator(const std::vector<int64_t>& out_dims,
                                     const std::vector<std::vector<int64_t>>& in_dims)
    : out_dims_(out_dims), index_(out_dims.size(), 0), offsets_(in_dims.size(), 0) {
  for (const auto& d : in_dims) strides_.push_back(broadcast_strides(d, out_dims));
}

void BroadcastIterator::seek(int64_t linear) {
  for (size_t k = out_dims_.size(); k-- > 0;) {
    const int64_t d = out_dims_[k];
    index_[k] = d ? linear % d : 0;
    linear = d ? linear / d : 0;
  }
  for (size_t j = 0; j < strides_.size(); ++j) {
    int64_t off = 0;
    for (size_t k = 0; k < out_dims_.size(); ++k) off += index_[k] * strides_[j][k];
    offsets_[j] = off;
  }
}

void BroadcastIterator::next() {
  for (size_t k = out_dims_.size(); k-- > 0;) {
    ++index_[k];
    for (size_t j = 0; j < strides_.size(); ++j) offsets_[j] += strides_[j][k];
    if (index_[k] < out_dims_[k]) return;
    for (size_t j = 0; j < strides_.size(); ++j) offsets_[j] -= strides_[j][k] * index_[k];
    index_[k] = 0;
  }
}

}  // namespace kiln
