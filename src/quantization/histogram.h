// The distribution of |x| over every value a tensor took during calibration, from which the
// calibrators (calibrator.h) choose a clipping threshold.
#pragma once

#include <cstdint>
#include <vector>

namespace kiln {

class AbsHistogram {
 public:
  static constexpr int kBins = 2048;

  // Adds the values; NaN and infinities are skipped (no threshold could represent them).
  //
  // One pass with a growing range, not two passes (amax first, then histograms): calibration
  // runs the network once, which for large models on the reference executor is most of the
  // build. The range starts just above the first nonzero amax; when a later value exceeds it, the range
  // doubles (as often as needed) and bins merge pairwise, so every old bin lands whole in one
  // new bin and the counts stay exact. The cost: after growth the data may fill only the lower
  // half of the bins (never less), so the resolution is at worst that of 1024 bins.
  void add(const float* x, int64_t n);

  // Bin i counts the nonzero |x| in [i, i + 1) * bin_width().
  const std::vector<uint64_t>& bins() const { return bins_; }
  // range / kBins; 0 while no nonzero value has been seen.
  double bin_width() const { return range_ / kBins; }
  // Exact zeros are counted apart: every threshold represents them exactly, so they take no
  // part in choosing one, except as a share of the whole for percentiles.
  uint64_t zeros() const { return zeros_; }
  // Every value counted (zeros included).
  uint64_t count() const { return count_; }
  float amax() const { return amax_; }

 private:
  std::vector<uint64_t> bins_ = std::vector<uint64_t>(kBins, 0);
  double range_ = 0;
  uint64_t zeros_ = 0;
  uint64_t count_ = 0;
  float amax_ = 0.f;
};

}  // namespace kiln
