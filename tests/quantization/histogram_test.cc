#include "quantization/histogram.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace kiln {
namespace {

// The bins computed directly over the final range, as the growing histogram should have them.
std::vector<uint64_t> direct_bins(const std::vector<float>& values, double bin_width) {
  const double range = bin_width * AbsHistogram::kBins;
  std::vector<uint64_t> bins(AbsHistogram::kBins, 0);
  for (float v : values)
    if (v != 0.f) ++bins[static_cast<size_t>(std::fabs(static_cast<double>(v)) * (AbsHistogram::kBins / range))];
  return bins;
}

TEST(AbsHistogram, GrowingRangeKeepsExactCounts) {
  std::mt19937 rng(7);
  std::normal_distribution<float> small(0.f, 0.5f), large(0.f, 6.f);
  std::vector<float> first(5000), second(5000);
  for (float& v : first) v = small(rng);
  for (float& v : second) v = large(rng);
  first[10] = 0.f;
  second[20] = 0.f;
  second[30] = NAN;
  second[40] = INFINITY;
  AbsHistogram h;
  h.add(first.data(), static_cast<int64_t>(first.size()));
  const double first_width = h.bin_width();
  h.add(second.data(), static_cast<int64_t>(second.size()));
  // The range grew by a power of two.
  const double growth = h.bin_width() / first_width;
  EXPECT_GT(growth, 1.0);
  EXPECT_EQ(std::exp2(std::round(std::log2(growth))), growth);

  std::vector<float> all = first;
  all.insert(all.end(), second.begin(), second.end());
  all.erase(all.begin() + 5000 + 40);  // infinity and NaN are not counted
  all.erase(all.begin() + 5000 + 30);
  EXPECT_EQ(h.count(), all.size());
  EXPECT_EQ(h.zeros(), 2u);
  float amax = 0.f;
  for (float v : all) amax = std::max(amax, std::fabs(v));
  EXPECT_EQ(h.amax(), amax);
  EXPECT_EQ(h.bins(), direct_bins(all, h.bin_width()));
  EXPECT_LT(amax, h.bin_width() * AbsHistogram::kBins);
}

TEST(AbsHistogram, NothingButZeros) {
  std::vector<float> zeros(100, 0.f);
  AbsHistogram h;
  h.add(zeros.data(), 100);
  EXPECT_EQ(h.bin_width(), 0.0);
  EXPECT_EQ(h.zeros(), 100u);
  EXPECT_EQ(h.amax(), 0.f);
}

}  // namespace
}  // namespace kiln
