// Index arithmetic for broadcasting kernels: for an output of `out_dims`, the element offset
// of the corresponding element in an input of `in_dims` (right-aligned numpy broadcasting).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln {

// Strides of `in_dims` laid out against `out_dims`: 0 where the input broadcasts.
std::vector<int64_t> broadcast_strides(const std::vector<int64_t>& in_dims,
                                       const std::vector<int64_t>& out_dims);

// Walks output indices in row-major order, tracking the matching offset in each input.
class BroadcastIterator {
 public:
  BroadcastIterator(const std::vector<int64_t>& out_dims,
                    const std::vector<std::vector<int64_t>>& in_dims);
  // Positions the iterator at output element `linear` (for parallel chunks).
  void seek(int64_t linear);
  int64_t offset(size_t input) const { return offsets_[input]; }
  void next();

 private:
  std::vector<int64_t> out_dims_;
  std::vector<std::vector<int64_t>> strides_;
  std::vector<int64_t> index_;
  std::vector<int64_t> offsets_;
};

}  // namespace kiln
