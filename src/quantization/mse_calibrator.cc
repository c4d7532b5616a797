// MSE-optimal clipping: the threshold t (a bin edge) minimizing the expected squared error of
// x -> s * min(round(|x| / s), 127), s = t / 127, over the histogram. Values in each bin are
// taken as uniform across it, so the error is integrated exactly rather than sampled at bin
// centers (which would be badly biased once a bin is as wide as a quantization step).
#include <cmath>
#include <limits>

#include "quantization/calibrator.h"

namespace kiln {

namespace {

// The integral of (y - s * round(y / s))^2 over [-s/2, x]: whole periods of s^3/12, plus the
// part period, where the error is (y - k s)^2.
double rounding_error_integral(double x, double s) {
  const double u = x + s / 2;
  const double k = std::floor(u / s);
  const double r = u - k * s - s / 2;
  return k * s * s * s / 12 + (r * r * r + s * s * s / 8) / 3;
}

}  // namespace

float mse_threshold(const AbsHistogram& h) {
  const auto& bins = h.bins();
  if (h.bin_width() == 0) return 0.f;
  int last = AbsHistogram::kBins - 1;
  while (last > 0 && bins[static_cast<size_t>(last)] == 0) --last;
  // In units of one bin width; the argmin does not depend on the unit.
  double best = std::numeric_limits<double>::infinity();
  int best_edge = last + 1;
  for (int edge = 1; edge <= last + 1; ++edge) {
    const double t = edge, s = t / 127;
    double error = 0;
    for (int j = 0; j <= last; ++j) {
      const double n = static_cast<double>(bins[static_cast<size_t>(j)]);
      if (n == 0) continue;
      const double a = j, b = j + 1.0;
      if (j < edge) {
        error += n * (rounding_error_integral(b, s) - rounding_error_integral(a, s));
      } else {
        error += n * ((b - t) * (b - t) * (b - t) - (a - t) * (a - t) * (a - t)) / 3;
      }
    }
    if (error < best) {
      best = error;
      best_edge = edge;
    }
  }
  return static_cast<float>(best_edge * h.bin_width());
}

}  // namespace kiln
