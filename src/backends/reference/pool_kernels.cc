// Reference kernels of the windowed and global pools: MaxPool (with Indices), AveragePool,
// LpPool, GlobalMaxPool, GlobalAveragePool, GlobalLpPool. One loop nest walks the windows; a
// small window-reducer type says what each pool does with the values it sees.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>

#include "backends/reference/kernel.h"
#include "core/dispatch.h"
#include "core/thread_pool.h"
#include "ir/ops/conv_geometry.h"

namespace kiln {

namespace {

// One spatial axis of a pooling window, as the loop nest walks it.
struct WindowAxis {
  int64_t kernel = 1, stride = 1, dilation = 1, pad_begin = 0, pad_end = 0, input = 1, output = 1;
};

// 1-D and 2-D pools run as 3-D pools whose leading spatial axes have size 1, so one loop nest
// serves them all.
constexpr int kMaxSpatial = 3;
using Window3d = std::array<WindowAxis, kMaxSpatial>;

Expected<Window3d> resolve_window(const KernelContext& ctx, const std::vector<int64_t>& kernel) {
  const Tensor& x = ctx.input(0);
  const size_t n = kernel.size();
  if (n > kMaxSpatial) return unsupported("pooling over {} spatial axes (at most {} are supported)", n, kMaxSpatial);
  if (x.rank() != static_cast<int>(n) + 2)
    return invalid_argument("input X has rank {}, expected {}", x.rank(), n + 2);
  const std::vector<int64_t> spatial(x.dims().begin() + 2, x.dims().end());
  KILN_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(ctx.node(), spatial, kernel, false));
  Window3d w;
  for (size_t i = 0; i < n; ++i)
    w[kMaxSpatial - n + i] = {g.kernel[i], g.strides[i], g.dilations[i], g.pads_begin[i], g.pads_end[i], g.input[i], g.output[i]};
  return w;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The taps of one axis's window at one output position: [begin, end) land inside the input;
// `padded` land inside [-pad_begin, input + pad_end), the divisor of AveragePool with
// count_include_pad (taps past the end padding, which ceil_mode can create, never count).
struct AxisTaps {
  int64_t begin = 0, end = 0, padded = 0;
};

std::vector<AxisTaps> taps_along(const WindowAxis& a) {
  std::vector<AxisTaps> taps(static_cast<size_t>(a.output));
  for (int64_t o = 0; o < a.output; ++o) {
    const int64_t start = o * a.stride - a.pad_begin;  // never before -pad_begin
    AxisTaps& t = taps[static_cast<size_t>(o)];
    t.begin = start >= 0 ? 0 : std::min(a.kernel, ceil_div(-start, a.dilation));
    t.end = start >= a.input ? 0 : std::min(a.kernel, ceil_div(a.input - start, a.dilation));
    t.end = std::max(t.end, t.begin);
    t.padded = start >= a.input + a.pad_end ? 0 : std::min(a.kernel, ceil_div(a.input + a.pad_end - start, a.dilation));
  }
  return taps;
}

// Max of the window, and where it was (first occurrence wins ties).
template <class T>
struct MaxWindow {
  // Half and BFloat16 compare as float; the others as themselves.
  using Value = std::conditional_t<std::is_integral_v<T> || std::is_same_v<T, double>, T, float>;
  Value best = std::numeric_limits<Value>::has_infinity ? -std::numeric_limits<Value>::infinity()
                                                        : std::numeric_limits<Value>::lowest();
  int64_t best_at = -1;
  void add(T v, int64_t at) {
    const Value value = static_cast<Value>(v);
    if (best_at < 0 || value > best) {
      best = value;
      best_at = at;
    }
  }
  T result(int64_t /*padded_taps*/) const { return static_cast<T>(best); }
};

template <class T>
struct AverageWindow {
  bool count_pads = false;
  double sum = 0;
  int64_t taps = 0;
  void add(T v, int64_t /*at*/) {
    sum += static_cast<double>(v);
    ++taps;
  }
  T result(int64_t padded_taps) const {
    return static_cast<T>(sum / static_cast<double>(count_pads ? padded_taps : taps));
  }
};

template <class T>
struct LpWindow {
  double p = 2;
  double sum = 0;
  void add(T v, int64_t /*at*/) { sum += std::pow(std::abs(static_cast<double>(v)), p); }
  T result(int64_t /*padded_taps*/) const { return static_cast<T>(std::pow(sum, 1.0 / p)); }
};

// Runs `fresh()`'s window reducer over every window of every (n, c) plane of X into Y. When
// `indices` is given, stores the flat input index of each window's `best_at` (row-major, or
// column-major over the spatial axes when `column_major`).
template <class T, class MakeWindow>
void pool_planes(const Tensor& x, Tensor& y, const Window3d& w, MakeWindow fresh, Tensor* indices,
                 bool column_major) {
  const int64_t planes = x.dim(0) * x.dim(1);
  const WindowAxis& ad = w[0];
  const WindowAxis& ah = w[1];
  const WindowAxis& aw = w[2];
  const int64_t in_plane = ad.input * ah.input * aw.input;
  const int64_t out_plane = ad.output * ah.output * aw.output;
  const std::vector<AxisTaps> td = taps_along(ad), th = taps_along(ah), tw = taps_along(aw);
  parallel_for(planes, 1, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const T* in = x.data<T>() + plane * in_plane;
      T* out = y.data<T>() + plane * out_plane;
      int64_t o = 0;
      for (int64_t od = 0; od < ad.output; ++od) {
        const AxisTaps& d = td[static_cast<size_t>(od)];
        for (int64_t oh = 0; oh < ah.output; ++oh) {
          const AxisTaps& h = th[static_cast<size_t>(oh)];
          for (int64_t ow = 0; ow < aw.output; ++ow, ++o) {
            const AxisTaps& w = tw[static_cast<size_t>(ow)];
            auto window = fresh();
            for (int64_t kd = d.begin; kd < d.end; ++kd) {
              const int64_t id = od * ad.stride - ad.pad_begin + kd * ad.dilation;
              for (int64_t kh = h.begin; kh < h.end; ++kh) {
                const int64_t row = (id * ah.input + oh * ah.stride - ah.pad_begin + kh * ah.dilation) * aw.input;
                const int64_t first = row + ow * aw.stride - aw.pad_begin;
                for (int64_t kw = w.begin; kw < w.end; ++kw) window.add(in[first + kw * aw.dilation], first + kw * aw.dilation);
              }
            }
            out[o] = window.result(d.padded * h.padded * w.padded);
            if constexpr (std::is_same_v<decltype(fresh()), MaxWindow<T>>) {
              if (indices != nullptr) {
                int64_t at = window.best_at;
                if (column_major && at >= 0) {
                  const int64_t dd = at / (ah.input * aw.input), hh = at / aw.input % ah.input, ww = at % aw.input;
                  at = ww * ah.input * ad.input + hh * ad.input + dd;
                }
                indices->data<int64_t>()[plane * out_plane + o] = plane * in_plane + at;
              }
            }
          }
        }
      }
    }
  });
}

// The kernel shape: the attribute, or the whole spatial extent for the global pools.
std::vector<int64_t> pool_kernel_shape(const KernelContext& ctx, bool global) {
  if (!global) return ctx.node().attr_ints("kernel_shape");
  const auto& dims = ctx.input(0).dims();
  return std::vector<int64_t>(dims.begin() + 2, dims.end());
}

KernelFn max_pool(bool global) {
  return [global](KernelContext& ctx) -> Status {
    KILN_ASSIGN_OR_RETURN(Window3d w, resolve_window(ctx, pool_kernel_shape(ctx, global)));
    Tensor* indices = ctx.num_outputs() > 1 && ctx.node().output(1) != nullptr ? &ctx.output(1) : nullptr;
    const bool column_major = ctx.node().attr_int("storage_order", 0) == 1;
    auto run = [&](auto tag) {
      using T = decltype(tag);
      pool_planes<T>(ctx.input(0), ctx.output(0), w, [] { return MaxWindow<T>{}; }, indices, column_major);
      return Status::Ok();
    };
    switch (ctx.input(0).dtype()) {
      case DataType::kInt8: return run(int8_t{});
      case DataType::kUInt8: return run(uint8_t{});
      default: return KILN_DISPATCH_FLOAT(ctx.input(0).dtype(), run);
    }
  };
}

KernelFn average_pool(bool global) {
  return [global](KernelContext& ctx) -> Status {
    KILN_ASSIGN_OR_RETURN(Window3d w, resolve_window(ctx, pool_kernel_shape(ctx, global)));
    const bool count_pads = ctx.node().attr_int("count_include_pad", 0) != 0;
    return KILN_DISPATCH_FLOAT(ctx.input(0).dtype(), [&](auto tag) {
      using T = decltype(tag);
      pool_planes<T>(ctx.input(0), ctx.output(0), w, [&] { return AverageWindow<T>{count_pads}; }, nullptr, false);
      return Status::Ok();
    });
  };
}

KernelFn lp_pool(bool global) {
  return [global](KernelContext& ctx) -> Status {
    KILN_ASSIGN_OR_RETURN(Window3d w, resolve_window(ctx, pool_kernel_shape(ctx, global)));
    const double p = static_cast<double>(ctx.node().attr_int("p", 2));
    return KILN_DISPATCH_FLOAT(ctx.input(0).dtype(), [&](auto tag) {
      using T = decltype(tag);
      pool_planes<T>(ctx.input(0), ctx.output(0), w, [&] { return LpWindow<T>{p}; }, nullptr, false);
      return Status::Ok();
    });
  };
}

}  // namespace

void register_pool_kernels(KernelRegistry& r) {
  r.add("MaxPool", max_pool(false));
  r.add("GlobalMaxPool", max_pool(true));
  r.add("AveragePool", average_pool(false));
  r.add("GlobalAveragePool", average_pool(true));
  r.add("LpPool", lp_pool(false));
  r.add("GlobalLpPool", lp_pool(true));
}

}  // namespace kiln
