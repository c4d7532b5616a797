// Index arithmetic for broadcasting kernels: for an output of `out_dims`, the element offset
// of the corresponding element in an input of `in_dims` (right-aligned numpy broadcasting).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/thread_pool.h"

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
  const int64_t* offsets() const { return offsets_.data(); }
  void next();

 private:
  std::vector<int64_t> out_dims_;
  std::vector<std::vector<int64_t>> strides_;
  std::vector<int64_t> index_;
  std::vector<int64_t> offsets_;
};

// Calls fn(out_index, offsets) for every element of an output of `out_dims`, where offsets[j]
// is the element of input j (of `in_dims[j]`) that broadcasts to it. Runs in parallel chunks;
// fn must only write output element out_index. When every input already has the output's
// shape (the common case) the offsets are the output index and no index math is done.
template <class F>
void for_each_broadcast(const std::vector<int64_t>& out_dims,
                        const std::vector<std::vector<int64_t>>& in_dims, F&& fn) {
  int64_t n = 1;
  for (int64_t d : out_dims) n *= d;
  if (n <= 0) return;
  constexpr int64_t kGrain = 1 << 14;
  bool same_shape = true;
  for (const auto& d : in_dims) same_shape = same_shape && d == out_dims;
  if (same_shape) {
    parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
      std::vector<int64_t> offsets(in_dims.size());
      for (int64_t i = begin; i < end; ++i) {
        for (int64_t& o : offsets) o = i;
        fn(i, offsets.data());
      }
    });
    return;
  }
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
    BroadcastIterator it(out_dims, in_dims);
    it.seek(begin);
    for (int64_t i = begin; i < end; ++i, it.next()) fn(i, it.offsets());
  });
}

}  // namespace kiln
