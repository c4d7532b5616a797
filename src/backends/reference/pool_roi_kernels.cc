// Reference kernel of MaxRoiPool: max over a grid of bins laid on each region of interest
// (Fast R-CNN's RoI pooling; corners rounded to whole pixels, bins cover whole pixels).
#include <algorithm>
#include <cmath>
#include <limits>

#include "backends/reference/kernel.h"
#include "core/dispatch.h"
#include "core/thread_pool.h"

namespace kiln {

namespace {

Status max_roi_pool(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& rois = ctx.input(1);
  Tensor& y = ctx.output(0);
  const std::vector<int64_t> pooled = ctx.node().attr_ints("pooled_shape");
  const double scale = ctx.node().attr_float("spatial_scale", 1.f);
  const int64_t channels = x.dim(1), height = x.dim(2), width = x.dim(3);
  const int64_t pooled_h = pooled[0], pooled_w = pooled[1];
  return KILN_DISPATCH_FLOAT(x.dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    const T* box = rois.data<T>();
    for (int64_t r = 0; r < rois.dim(0); ++r) {
      const double batch = static_cast<double>(box[r * 5]);
      if (!(batch >= 0 && batch < static_cast<double>(x.dim(0))) || batch != std::floor(batch))
        return out_of_range("roi {} names batch index {}, outside [0, {})", r, batch, x.dim(0));
    }
    parallel_for(rois.dim(0) * channels, 1, [&](int64_t begin, int64_t end) {
      for (int64_t rc = begin; rc < end; ++rc) {
        const int64_t r = rc / channels, c = rc % channels;
        const T* roi = box + r * 5;
        auto corner = [&](int k) { return static_cast<int64_t>(std::round(static_cast<double>(roi[k]) * scale)); };
        const int64_t x1 = corner(1), y1 = corner(2), x2 = corner(3), y2 = corner(4);
        // A degenerate box still covers one pixel.
        const double bin_h = static_cast<double>(std::max<int64_t>(y2 - y1 + 1, 1)) / static_cast<double>(pooled_h);
        const double bin_w = static_cast<double>(std::max<int64_t>(x2 - x1 + 1, 1)) / static_cast<double>(pooled_w);
        const T* plane = x.data<T>() + (static_cast<int64_t>(static_cast<double>(roi[0])) * channels + c) * height * width;
        T* out = y.data<T>() + rc * pooled_h * pooled_w;
        for (int64_t ph = 0; ph < pooled_h; ++ph) {
          const int64_t h0 = std::clamp<int64_t>(static_cast<int64_t>(std::floor(ph * bin_h)) + y1, 0, height);
          const int64_t h1 = std::clamp<int64_t>(static_cast<int64_t>(std::ceil((ph + 1) * bin_h)) + y1, 0, height);
          for (int64_t pw = 0; pw < pooled_w; ++pw) {
            const int64_t w0 = std::clamp<int64_t>(static_cast<int64_t>(std::floor(pw * bin_w)) + x1, 0, width);
            const int64_t w1 = std::clamp<int64_t>(static_cast<int64_t>(std::ceil((pw + 1) * bin_w)) + x1, 0, width);
            // A bin entirely outside the image is 0.
            double best = h0 < h1 && w0 < w1 ? -std::numeric_limits<double>::infinity() : 0.0;
            for (int64_t h = h0; h < h1; ++h)
              for (int64_t w = w0; w < w1; ++w) best = std::max(best, static_cast<double>(plane[h * width + w]));
            out[ph * pooled_w + pw] = static_cast<T>(best);
          }
        }
      }
    });
    return Status::Ok();
  });
}

}  // namespace

void register_pool_roi_kernels(KernelRegistry& r) { r.add("MaxRoiPool", max_roi_pool); }

}  // namespace kiln
