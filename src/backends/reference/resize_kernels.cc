// Resize and Upsample. Every mode ONNX defines is separable, so the kernel resizes one axis at a
// time: per axis it precomputes, for each output coordinate, the input taps (index, weight) that
// make it, then applies them along that axis. Intermediate values are kept in double.
#include <cmath>
#include <type_traits>

#include "backends/reference/compute_type.h"
#include "backends/reference/axis_view.h"
#include "backends/reference/kernel.h"
#include "core/dispatch.h"
#include "core/thread_pool.h"
#include "ir/ops/resize_params.h"

namespace kiln {

namespace {

struct Tap {
  int64_t index;
  double weight;
};

// Output coordinate x of one axis -> either taps into the input or the extrapolation value.
struct AxisPlan {
  std::vector<std::vector<Tap>> taps;  // per output coordinate
  std::vector<bool> extrapolate;       // tf_crop_and_resize sampling outside the input
};

// Where output coordinate x samples the input. `out_width` is scale * in_dim, not the rounded
// output size: ONNX's reference uses it for align_corners and tf_crop_and_resize.
double source_coordinate(const ResizeParams& p, int axis, int rank, double x, double scale, int64_t in_dim,
                         int64_t out_dim) {
  const double out_width = scale * static_cast<double>(in_dim);
  const double last = static_cast<double>(in_dim - 1);
  const std::string& m = p.coordinate_mode;
  if (m == "half_pixel") return (x + 0.5) / scale - 0.5;
  if (m == "pytorch_half_pixel") return out_dim > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (m == "align_corners") return out_width == 1 ? 0.0 : x * last / (out_width - 1);
  if (m == "tf_half_pixel_for_nn") return (x + 0.5) / scale;
  if (m == "tf_crop_and_resize") {
    const double start = p.roi[static_cast<size_t>(axis)], end = p.roi[static_cast<size_t>(axis + rank)];
    const double span = out_width == 1 ? (end - start) * last / 2 : x * (end - start) * last / (out_width - 1);
    return span + start * last;
  }
  return x / scale;  // asymmetric
}

int64_t clamp_index(int64_t i, int64_t in_dim) { return i < 0 ? 0 : (i >= in_dim ? in_dim - 1 : i); }

int64_t nearest_index(const std::string& mode, double xo) {
  const double f = std::floor(xo);
  const double r = xo - f;
  const auto fi = static_cast<int64_t>(f);
  if (r == 0) return fi;
  if (mode == "round_prefer_floor") return r <= 0.5 ? fi : fi + 1;
  if (mode == "round_prefer_ceil") return r < 0.5 ? fi : fi + 1;
  if (mode == "floor") return fi;
  return fi + 1;  // ceil
}

// Keys' cubic convolution weights for the taps at floor-1 .. floor+2, given the fraction r.
std::vector<double> cubic_weights(double r, double a) {
  auto near = [a](double d) { return ((a + 2) * d - (a + 3)) * d * d + 1; };          // |d| <= 1
  auto far = [a](double d) { return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; };     // 1 < |d| < 2
  return {far(1 + r), near(r), near(1 - r), far(2 - r)};
}

AxisPlan plan_axis(const ResizeParams& p, int axis, int rank, int64_t in_dim, int64_t out_dim) {
  const double scale = p.scales.empty() ? static_cast<double>(out_dim) / static_cast<double>(in_dim)
                                        : p.scales[static_cast<size_t>(axis)];
  AxisPlan plan;
  plan.taps.resize(static_cast<size_t>(out_dim));
  plan.extrapolate.assign(static_cast<size_t>(out_dim), false);
  for (int64_t x = 0; x < out_dim; ++x) {
    const double xo = source_coordinate(p, axis, rank, static_cast<double>(x), scale, in_dim, out_dim);
    auto& taps = plan.taps[static_cast<size_t>(x)];
    if (p.coordinate_mode == "tf_crop_and_resize" && (xo < 0 || xo > static_cast<double>(in_dim - 1))) {
      plan.extrapolate[static_cast<size_t>(x)] = true;
      continue;
    }
    const double f = std::floor(xo);
    const double r = xo - f;
    const auto fi = static_cast<int64_t>(f);
    if (p.mode == "nearest") {
      taps.push_back({clamp_index(nearest_index(p.nearest_mode, xo), in_dim), 1.0});
    } else if (p.mode == "linear") {
      taps.push_back({clamp_index(fi, in_dim), 1 - r});
      taps.push_back({clamp_index(fi + 1, in_dim), r});
    } else {
      const std::vector<double> w = cubic_weights(r, p.cubic_coeff_a);
      double kept = 0;
      for (int k = 0; k < 4; ++k) {
        const int64_t i = fi - 1 + k;
        if (p.exclude_outside && (i < 0 || i >= in_dim)) continue;
        taps.push_back({clamp_index(i, in_dim), w[static_cast<size_t>(k)]});
        kept += w[static_cast<size_t>(k)];
      }
      if (p.exclude_outside)
        for (Tap& t : taps) t.weight /= kept;
    }
  }
  return plan;
}

// True when the plan maps every coordinate to itself (the axis needs no pass).
bool is_identity(const AxisPlan& plan, int64_t in_dim) {
  if (static_cast<int64_t>(plan.taps.size()) != in_dim) return false;
  for (size_t x = 0; x < plan.taps.size(); ++x) {
    if (plan.extrapolate[x]) return false;
    for (const Tap& t : plan.taps[x])
      if (t.weight != (t.index == static_cast<int64_t>(x) ? 1.0 : 0.0)) return false;
  }
  return true;
}

// Applies `plan` along `axis` of `in` (dims `dims`), returning the resized values.
std::vector<double> resize_axis(const std::vector<double>& in, std::vector<int64_t>& dims, int axis,
                                const AxisPlan& plan, double extrapolation) {
  const auto [outer, in_dim, inner] = axis_view(dims, axis);
  const auto out_dim = static_cast<int64_t>(plan.taps.size());
  std::vector<double> out(static_cast<size_t>(outer * out_dim * inner));
  parallel_for(outer * out_dim, std::max<int64_t>(1, 4096 / std::max<int64_t>(inner, 1)), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t o = row / out_dim, x = row % out_dim;
      double* dst = &out[static_cast<size_t>(row * inner)];
      if (plan.extrapolate[static_cast<size_t>(x)]) {
        for (int64_t i = 0; i < inner; ++i) dst[i] = extrapolation;
        continue;
      }
      for (int64_t i = 0; i < inner; ++i) dst[i] = 0;
      for (const Tap& t : plan.taps[static_cast<size_t>(x)]) {
        const double* src = &in[static_cast<size_t>((o * in_dim + t.index) * inner)];
        for (int64_t i = 0; i < inner; ++i) dst[i] += t.weight * src[i];
      }
    }
  });
  dims[static_cast<size_t>(axis)] = out_dim;
  return out;
}

Status resize(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  Tensor& out = ctx.output(0);
  std::vector<const Tensor*> values;
  for (int i = 0; i < ctx.num_inputs(); ++i) values.push_back(ctx.has_input(i) ? &ctx.input(i) : nullptr);
  KILN_ASSIGN_OR_RETURN(ResizeParams params, read_resize_params(ctx.node(), values, in.rank()));
  for (int a = 0; a < in.rank(); ++a)
    if (in.dim(a) == 0 && out.dim(a) > 0) return invalid_argument("cannot resize the empty axis {} to {}", a, out.dim(a));
  if (out.numel() == 0) return Status::Ok();
  return KILN_DISPATCH_NUMERIC(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using Load = ComputeType<T>;
    std::vector<double> data(static_cast<size_t>(in.numel()));
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<double>(static_cast<Load>(in.data<T>()[i]));
    std::vector<int64_t> dims = in.dims();
    for (int a = 0; a < in.rank(); ++a) {
      const AxisPlan plan = plan_axis(params, a, in.rank(), in.dim(a), out.dim(a));
      if (!is_identity(plan, in.dim(a))) data = resize_axis(data, dims, a, plan, params.extrapolation_value);
    }
    for (size_t i = 0; i < data.size(); ++i) {
      // Integer outputs round to nearest rather than truncate.
      const double v = std::is_integral_v<T> ? std::nearbyint(data[i]) : data[i];
      out.data<T>()[i] = static_cast<T>(static_cast<Load>(v));
    }
    return Status::Ok();
  });
}

}  // namespace

void register_resize_kernels(KernelRegistry& r) {
  r.add("Resize", resize);
  r.add("Upsample", resize);
}

}  // namespace kiln
