// Reference kernels of the normalizations by a local norm: LRN (across nearby channels) and
// LpNormalization (along one axis).
#include <cmath>

#include "backends/reference/kernel.h"
#include "backends/reference/reduce_layout.h"
#include "core/dispatch.h"
#include "core/thread_pool.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

// y = x / (bias + alpha / size * sum of x^2 over channels [c - floor((size-1)/2), c + ceil((size-1)/2)])^beta
Status lrn(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Node& node = ctx.node();
  const int64_t size = node.attr_int("size");
  const double alpha = node.attr_float("alpha", 1e-4f), beta = node.attr_float("beta", 0.75f),
               bias = node.attr_float("bias", 1.f);
  const int64_t channels = x.dim(1);
  int64_t spatial = 1;
  for (int i = 2; i < x.rank(); ++i) spatial *= x.dim(i);
  const int64_t before = (size - 1) / 2, after = size - 1 - before;
  return KILN_DISPATCH_FLOAT(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* in = x.data<T>();
    T* out = ctx.output(0).data<T>();
    parallel_for(x.dim(0) * channels, 1, [&](int64_t begin, int64_t end) {
      for (int64_t plane = begin; plane < end; ++plane) {
        const int64_t n = plane / channels, c = plane % channels;
        const int64_t c0 = std::max<int64_t>(0, c - before), c1 = std::min(channels - 1, c + after);
        for (int64_t i = 0; i < spatial; ++i) {
          double square_sum = 0;
          for (int64_t k = c0; k <= c1; ++k) {
            const double v = static_cast<double>(in[(n * channels + k) * spatial + i]);
            square_sum += v * v;
          }
          const int64_t at = plane * spatial + i;
          out[at] = static_cast<T>(static_cast<double>(in[at]) / std::pow(bias + alpha / static_cast<double>(size) * square_sum, beta));
        }
      }
    });
    return Status::Ok();
  });
}

// y = x / ||x||_p along the axis; a zero vector stays zero (instead of 0/0).
Status lp_normalization(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(ctx.node().attr_int("axis", -1), x.rank()));
  const bool l1 = ctx.node().attr_int("p", 2) == 1;
  std::vector<bool> reduced(static_cast<size_t>(x.rank()), false);
  reduced[static_cast<size_t>(axis)] = true;
  const ReduceLayout layout(x.dims(), reduced);
  return KILN_DISPATCH_FLOAT(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* in = x.data<T>();
    T* out = ctx.output(0).data<T>();
    parallel_for(layout.num_outputs(), 1, [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o) {
        const int64_t base = layout.first_offset(o);
        double norm = 0;
        layout.for_each(base, [&](int64_t at) {
          const double v = static_cast<double>(in[at]);
          norm += l1 ? std::abs(v) : v * v;
        });
        if (!l1) norm = std::sqrt(norm);
        const double inv = norm == 0 ? 0 : 1 / norm;
        layout.for_each(base, [&](int64_t at) { out[at] = static_cast<T>(static_cast<double>(in[at]) * inv); });
      }
    });
    return Status::Ok();
  });
}

}  // namespace

void register_norm_local_kernels(KernelRegistry& r) {
  r.add("LRN", lrn);
  r.add("LpNormalization", lp_normalization);
}

}  // namespace kiln
