// Normalization by mean and variance over groups of elements, shared by BatchNormalization
// (training), InstanceNormalization, LayerNormalization, GroupNormalization and
// MeanVarianceNormalization: they differ only in which axes form a group (a ReduceLayout), how
// the variance becomes a divisor, and which scale and bias each element gets.
#pragma once

#include <cmath>
#include <vector>

#include "backends/reference/reduce_layout.h"
#include "core/thread_pool.h"

namespace kiln {

struct Moments {
  double mean = 0;
  double var = 0;  // population variance (divided by the count)
};

// For each output of `layout` (a group), computes the group's moments in double with two passes
// (exact to the last float bit for any group size networks use), then writes
//   y = (x - mean) * inv_std(var) * scale + bias   with {scale, bias} = affine(input offset).
// Stores each group's moments in `moments` when it is not null.
template <class T, class InvStd, class Affine>
void normalize_by_moments(const T* x, T* y, const ReduceLayout& layout, InvStd inv_std, Affine affine,
                          std::vector<Moments>* moments) {
  if (moments != nullptr) moments->assign(static_cast<size_t>(layout.num_outputs()), Moments{});
  const double count = static_cast<double>(layout.reduce_size());
  parallel_for(layout.num_outputs(), 1, [&](int64_t begin, int64_t end) {
    for (int64_t g = begin; g < end; ++g) {
      const int64_t base = layout.first_offset(g);
      double sum = 0;
      layout.for_each(base, [&](int64_t at) { sum += static_cast<double>(x[at]); });
      const double mean = sum / count;
      double sq = 0;
      layout.for_each(base, [&](int64_t at) {
        const double d = static_cast<double>(x[at]) - mean;
        sq += d * d;
      });
      const double var = sq / count;
      const double scale_by = inv_std(var);
      layout.for_each(base, [&](int64_t at) {
        const auto [scale, bias] = affine(at);
        y[at] = static_cast<T>((static_cast<double>(x[at]) - mean) * scale_by * scale + bias);
      });
      if (moments != nullptr) (*moments)[static_cast<size_t>(g)] = {mean, var};
    }
  });
}

// The usual divisor: 1 / sqrt(var + epsilon).
inline auto inv_sqrt_plus(double epsilon) {
  return [epsilon](double var) { return 1.0 / std::sqrt(var + epsilon); };
}

}  // namespace kiln
