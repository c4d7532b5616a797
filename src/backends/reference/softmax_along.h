// The softmax family along one axis of a tensor viewed as [outer, n, inner]: Softmax,
// LogSoftmax and Hardmax share the max-subtracting pass. Used by the Softmax kernels and by
// SoftmaxCrossEntropyLoss.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/thread_pool.h"

namespace kiln {

enum class SoftmaxKind { kSoftmax, kLogSoftmax, kHardmax };

template <class T>
void softmax_along(SoftmaxKind kind, const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  // One lane is the n values of one (outer, inner) position, `inner` apart. Computed in double
  // so the result is the correctly rounded float for any realistic n.
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, n));
  parallel_for(outer * inner, grain, [&](int64_t begin, int64_t end) {
    std::vector<double> shifted(static_cast<size_t>(n));  // x - max, then exp(x - max) for Softmax
    for (int64_t lane = begin; lane < end; ++lane) {
      const int64_t base = (lane / inner) * n * inner + lane % inner;
      const T* in = x + base;
      T* out = y + base;
      double max = -INFINITY;
      int64_t argmax = 0;
      for (int64_t i = 0; i < n; ++i) {
        const double v = static_cast<double>(in[i * inner]);
        shifted[static_cast<size_t>(i)] = v;
        if (v > max) {
          max = v;
          argmax = i;
        }
      }
      if (kind == SoftmaxKind::kHardmax) {
        for (int64_t i = 0; i < n; ++i) out[i * inner] = static_cast<T>(i == argmax ? 1.0 : 0.0);
        continue;
      }
      double sum = 0;
      for (double& v : shifted) {
        v -= max;
        const double e = std::exp(v);
        sum += e;
        if (kind == SoftmaxKind::kSoftmax) v = e;
      }
      if (kind == SoftmaxKind::kSoftmax) {
        const double inv = 1.0 / sum;
        for (int64_t i = 0; i < n; ++i) out[i * inner] = static_cast<T>(shifted[static_cast<size_t>(i)] * inv);
      } else {
        const double log_sum = std::log(sum);
        for (int64_t i = 0; i < n; ++i) out[i * inner] = static_cast<T>(shifted[static_cast<size_t>(i)] - log_sum);
      }
    }
  });
}

}  // namespace kiln
