#include "quantization/histogram.h"

#include <algorithm>
#include <cmath>

namespace kiln {

void AbsHistogram::add(const float* x, int64_t n) {
  float batch_amax = 0.f;
  for (int64_t i = 0; i < n; ++i)
    if (std::isfinite(x[i])) batch_amax = std::max(batch_amax, std::fabs(x[i]));
  if (batch_amax > 0.f) {
    // A little above the max, so that every value lies strictly inside the range.
    if (range_ == 0) range_ = batch_amax * (1.0 + 1.0 / kBins);
    while (range_ <= batch_amax) {
      for (int i = 0; i < kBins / 2; ++i) bins_[static_cast<size_t>(i)] = bins_[2 * static_cast<size_t>(i)] + bins_[2 * static_cast<size_t>(i) + 1];
      std::fill(bins_.begin() + kBins / 2, bins_.end(), 0);
      range_ *= 2;
    }
  }
  amax_ = std::max(amax_, batch_amax);
  const double inv_width = range_ > 0 ? kBins / range_ : 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) continue;
    ++count_;
    const double a = std::fabs(static_cast<double>(x[i]));
    if (a == 0) {
      ++zeros_;
      continue;
    }
    const auto bin = std::min(static_cast<int64_t>(a * inv_width), int64_t{kBins - 1});
    ++bins_[static_cast<size_t>(bin)];
  }
}

}  // namespace kiln
