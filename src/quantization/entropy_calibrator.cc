// Entropy calibration: the threshold whose int8 quantization keeps the most information about
// the observed |x| distribution. For each candidate threshold t = i bin widths (i >= 128, so
// each of the 128 magnitudes 0..127 can get a bin):
//   P  the observed distribution over the first i bins, with all mass beyond t added to the last
//      bin (clipping saturates those values to t): what the network will see;
//   Q  the first i bins alone as the quantizer represents them: each bin belongs to the int8
//      magnitude its center rounds to (step t / 127), and a magnitude's mass is spread evenly
//      over its bins where P is nonzero. The clipped mass is not in Q, so clipping costs.
//   The cost is KL(P || Q) = sum p log(p / q) over P and Q normalized to sum 1 (infinite when a
//   bin of P has no Q: the last bins hold clipped mass that no in-range value accounts for).
// Small t gives fine steps but clips more; large t keeps the tail but merges many bins per step.
// The least divergence wins (the first, on ties).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "quantization/calibrator.h"

namespace kiln {

float entropy_threshold(const AbsHistogram& h) {
  constexpr int kMagnitudes = 128;
  const auto& bins = h.bins();
  if (h.bin_width() == 0) return 0.f;
  int last = AbsHistogram::kBins - 1;
  while (last > 0 && bins[static_cast<size_t>(last)] == 0) --last;
  double total = 0;
  for (uint64_t n : bins) total += static_cast<double>(n);
  // A threshold beyond max |x| only wastes range.
  const int max_edge = std::max(kMagnitudes, last + 1);
  std::vector<double> p(static_cast<size_t>(max_edge));
  std::vector<double> mass(kMagnitudes), nonempty(kMagnitudes);
  double best = std::numeric_limits<double>::infinity();
  int best_edge = max_edge;
  double in_range = 0;  // the count in bins [0, edge)
  for (int j = 0; j < kMagnitudes; ++j) in_range += static_cast<double>(bins[static_cast<size_t>(j)]);
  for (int edge = kMagnitudes; edge <= max_edge; ++edge) {
    if (edge > kMagnitudes) in_range += static_cast<double>(bins[static_cast<size_t>(edge - 1)]);
    if (in_range == 0) continue;
    for (int j = 0; j < edge; ++j) p[static_cast<size_t>(j)] = static_cast<double>(bins[static_cast<size_t>(j)]);
    p[static_cast<size_t>(edge - 1)] += total - in_range;

    auto magnitude_of = [&](int j) {
      return static_cast<size_t>(
          std::min(kMagnitudes - 1, static_cast<int>(std::nearbyint((j + 0.5) * (kMagnitudes - 1) / edge))));
    };
    std::fill(mass.begin(), mass.end(), 0.0);
    std::fill(nonempty.begin(), nonempty.end(), 0.0);
    for (int j = 0; j < edge; ++j) {
      mass[magnitude_of(j)] += static_cast<double>(bins[static_cast<size_t>(j)]);
      if (p[static_cast<size_t>(j)] > 0) nonempty[magnitude_of(j)] += 1;
    }
    double divergence = 0;
    for (int j = 0; j < edge; ++j) {
      const double pj = p[static_cast<size_t>(j)] / total;
      if (pj == 0) continue;
      const size_t m = magnitude_of(j);
      const double qj = mass[m] / nonempty[m] / in_range;
      divergence += qj > 0 ? pj * std::log(pj / qj) : std::numeric_limits<double>::infinity();
    }
    if (divergence < best) {
      best = divergence;
      best_edge = edge;
    }
  }
  return static_cast<float>(best_edge * h.bin_width());
}

}  // namespace kiln
