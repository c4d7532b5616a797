// Reference kernel of GridSample (opset 16): samples X at the normalized (x, y) grid positions
// with nearest, bilinear or bicubic interpolation and zeros, border or reflection padding.
#include <cmath>

#include "backends/reference/kernel.h"
#include "backends/reference/store_doubles.h"
#include "core/thread_pool.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

enum class Padding { kZeros, kBorder, kReflection };

struct Axis {
  int64_t size;
  bool align_corners;

  // A grid coordinate in [-1, 1] to a pixel coordinate: -1 and 1 are the centers of the edge
  // pixels with align_corners, else their outer edges.
  double unnormalize(double g) const {
    const double n = static_cast<double>(size);
    return align_corners ? (g + 1) / 2 * (n - 1) : ((g + 1) * n - 1) / 2;
  }

  // Folds a coordinate back into the reflection range ([0, size-1] with align_corners, else
  // [-0.5, size-0.5]) by mirroring at its ends.
  double reflect(double v) const {
    const double lo = align_corners ? 0.0 : -0.5;
    const double span = align_corners ? static_cast<double>(size - 1) : static_cast<double>(size);
    if (span <= 0) return 0.0;
    const double d = std::abs(v - lo);
    const double flips = std::floor(d / span);
    const double extra = d - flips * span;
    return std::fmod(flips, 2.0) == 0.0 ? lo + extra : lo + span - extra;
  }

  // Applies border or reflection padding to a coordinate (zeros padding leaves it as is).
  double pad(double v, Padding padding) const {
    const double hi = static_cast<double>(size - 1);
    if (padding == Padding::kBorder) return std::clamp(v, 0.0, hi);
    if (padding == Padding::kReflection) return std::clamp(reflect(v), 0.0, hi);
    return v;
  }
};

// Cubic convolution weights (A = -0.75) for the 4 taps around a point at fraction t.
void cubic_weights(double t, double w[4]) {
  constexpr double a = -0.75;
  const auto near = [&](double d) { return ((a + 2) * d - (a + 3)) * d * d + 1; };
  const auto far = [&](double d) { return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; };
  w[0] = far(t + 1), w[1] = near(t), w[2] = near(1 - t), w[3] = far(2 - t);
}

struct Sampler {
  const double* plane;
  Axis ax, ay;
  Padding padding;

  // The pixel at integer (row, col) after padding; 0 outside the image.
  double pixel(int64_t row, int64_t col) const {
    if (padding != Padding::kZeros) {
      row = static_cast<int64_t>(ay.pad(static_cast<double>(row), padding));
      col = static_cast<int64_t>(ax.pad(static_cast<double>(col), padding));
    }
    if (row < 0 || row >= ay.size || col < 0 || col >= ax.size) return 0.0;
    return plane[row * ax.size + col];
  }

  double nearest(double x, double y) const {
    x = ax.pad(x, padding), y = ay.pad(y, padding);
    return pixel(static_cast<int64_t>(std::nearbyint(y)), static_cast<int64_t>(std::nearbyint(x)));
  }

  double bilinear(double x, double y) const {
    x = ax.pad(x, padding), y = ay.pad(y, padding);
    const double x0 = std::floor(x), y0 = std::floor(y), fx = x - x0, fy = y - y0;
    const auto r = static_cast<int64_t>(y0), c = static_cast<int64_t>(x0);
    // Taps outside read 0 here whatever the padding: padding moved the point, not the taps.
    const auto tap = [&](int64_t row, int64_t col) {
      return row < 0 || row >= ay.size || col < 0 || col >= ax.size ? 0.0 : plane[row * ax.size + col];
    };
    return (1 - fy) * ((1 - fx) * tap(r, c) + fx * tap(r, c + 1)) + fy * ((1 - fx) * tap(r + 1, c) + fx * tap(r + 1, c + 1));
  }

  // The point itself is not padded; each of the 16 taps is.
  double bicubic(double x, double y) const {
    const double x0 = std::floor(x), y0 = std::floor(y);
    double wx[4], wy[4];
    cubic_weights(x - x0, wx);
    cubic_weights(y - y0, wy);
    double sum = 0;
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j)
        sum += wy[i] * wx[j] * pixel(static_cast<int64_t>(y0) - 1 + i, static_cast<int64_t>(x0) - 1 + j);
    return sum;
  }
};

Status run_grid_sample(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& grid = ctx.input(1);
  KILN_ASSIGN_OR_RETURN(auto data, tensor_to_doubles(x));
  KILN_ASSIGN_OR_RETURN(auto g, tensor_to_doubles(grid));
  const int64_t n = x.dim(0), channels = x.dim(1), h = x.dim(2), w = x.dim(3), oh = grid.dim(1), ow = grid.dim(2);
  const bool align = node.attr_int("align_corners") != 0;
  const std::string mode = node.attr_string("mode");
  const std::string pad_name = node.attr_string("padding_mode");
  const Padding padding = pad_name == "border" ? Padding::kBorder : pad_name == "reflection" ? Padding::kReflection : Padding::kZeros;
  std::vector<double> out(static_cast<size_t>(n * channels * oh * ow));
  parallel_for(n * channels, 1, [&](int64_t begin, int64_t end) {
    for (int64_t nc = begin; nc < end; ++nc) {
      const int64_t b = nc / channels;
      const Sampler s{&data[static_cast<size_t>(nc * h * w)], Axis{w, align}, Axis{h, align}, padding};
      for (int64_t p = 0; p < oh * ow; ++p) {
        const double* xy = &g[static_cast<size_t>((b * oh * ow + p) * 2)];
        const double px = s.ax.unnormalize(xy[0]), py = s.ay.unnormalize(xy[1]);
        out[static_cast<size_t>(nc * oh * ow + p)] =
            mode == "nearest" ? s.nearest(px, py) : mode == "bicubic" ? s.bicubic(px, py) : s.bilinear(px, py);
      }
    }
  });
  return store_doubles(out, ctx.output(0));
}

}  // namespace

void register_grid_sample_kernels(KernelRegistry& r) { r.add("GridSample", run_grid_sample); }

}  // namespace kiln
