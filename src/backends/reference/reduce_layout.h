// Index arithmetic for reducing a tensor over a set of axes: which input elements fold into
// which output element. Adjacent axes that are all reduced (or all kept) are merged first, so a
// reduction over trailing axes walks memory contiguously.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln {

class ReduceLayout {
 public:
  // `reduced[i]` says whether axis i of `dims` is reduced.
  ReduceLayout(const std::vector<int64_t>& dims, const std::vector<bool>& reduced);

  // Output elements, in row-major order of the kept axes.
  int64_t num_outputs() const { return num_outputs_; }
  // Input elements folded into each output element.
  int64_t reduce_size() const { return reduce_size_; }
  // Input offset of the first element folded into output `o`.
  int64_t first_offset(int64_t o) const;

  // Calls f(offset) for each input element folded into the output whose first offset is `base`.
  template <class F>
  void for_each(int64_t base, F&& f) const {
    if (reduce_size_ == 0) return;
    const size_t outer_axes = reduced_dims_.size() - 1;
    const int64_t inner_n = reduced_dims_.back(), inner_stride = reduced_strides_.back();
    std::vector<int64_t> index(outer_axes, 0);
    for (int64_t row = base;;) {
      for (int64_t i = 0, at = row; i < inner_n; ++i, at += inner_stride) f(at);
      // Advance the odometer over the outer reduced axes.
      size_t a = outer_axes;
      while (a > 0) {
        --a;
        row += reduced_strides_[a];
        if (++index[a] < reduced_dims_[a]) break;
        row -= reduced_strides_[a] * reduced_dims_[a];
        index[a] = 0;
        if (a == 0) return;
      }
      if (outer_axes == 0) return;
    }
  }

 private:
  // Merged axes; reduced_dims_ always holds at least one (size-1) axis.
  std::vector<int64_t> kept_dims_, kept_strides_;
  std::vector<int64_t> reduced_dims_, reduced_strides_;
  int64_t num_outputs_ = 1;
  int64_t reduce_size_ = 1;
};

}  // namespace kiln
