// Latency statistics for `kiln bench`: min, mean, median and percentiles of a sample.
#pragma once

#include <algorithm>
#include <vector>

namespace kiln::cli {

struct Stats {
  double min = 0, max = 0, mean = 0, median = 0, p90 = 0, p95 = 0, p99 = 0;
  static Stats of(std::vector<double> v) {
    Stats s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    // Nearest-rank percentiles, as trtexec reports them.
    auto pct = [&](double p) {
      size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.999999);
      return v[std::min(v.size(), std::max<size_t>(rank, 1)) - 1];
    };
    double sum = 0;
    for (double x : v) sum += x;
    s.min = v.front();
    s.max = v.back();
    s.mean = sum / static_cast<double>(v.size());
    s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    s.p90 = pct(90);
    s.p95 = pct(95);
    s.p99 = pct(99);
    return s;
  }
};

}  // namespace kiln::cli
