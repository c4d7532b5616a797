#include "backends/reference/resize_plan.h"

#include <cmath>
#include <string>

namespace kiln {

namespace {

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

}  // namespace

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

bool is_identity(const AxisPlan& plan, int64_t in_dim) {
  if (static_cast<int64_t>(plan.taps.size()) != in_dim) return false;
  for (size_t x = 0; x < plan.taps.size(); ++x) {
    if (plan.extrapolate[x]) return false;
    for (const Tap& t : plan.taps[x])
      if (t.weight != (t.index == static_cast<int64_t>(x) ? 1.0 : 0.0)) return false;
  }
  return true;
}

}  // namespace kiln
