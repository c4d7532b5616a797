// Reference kernels of NonMaxSuppression and RoiAlign. Both compute in double from any floating
// input and follow the semantics of the ONNX reference results.
#include <algorithm>
#include <cmath>

#include "backends/reference/detection/onnx_nms.h"
#include "backends/reference/kernel.h"
#include "backends/reference/store_doubles.h"
#include "core/thread_pool.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

// Reads an optional scalar input; `fallback` when absent.
Expected<double> optional_scalar(const KernelContext& ctx, int i, double fallback, const char* name) {
  if (!ctx.has_input(i)) return fallback;
  KILN_ASSIGN_OR_RETURN(auto v, tensor_to_doubles(ctx.input(i)));
  if (v.size() != 1) return invalid_argument("input '{}' must hold one value, got {}", name, v.size());
  return v[0];
}

// The algorithm is detection::onnx_nms_reference (detection/onnx_nms.h), which the CUDA kernel
// reproduces exactly.
Status run_nms(KernelContext& ctx) {
  KILN_ASSIGN_OR_RETURN(auto boxes, tensor_to_doubles(ctx.input(0)));
  KILN_ASSIGN_OR_RETURN(auto scores, tensor_to_doubles(ctx.input(1)));
  detection::OnnxNmsParams p;
  KILN_ASSIGN_OR_RETURN(p.max_output_boxes_per_class, optional_scalar(ctx, 2, 0, "max_output_boxes_per_class"));
  KILN_ASSIGN_OR_RETURN(p.iou_threshold, optional_scalar(ctx, 3, 0, "iou_threshold"));
  if (ctx.has_input(4)) {
    KILN_ASSIGN_OR_RETURN(p.score_threshold, optional_scalar(ctx, 4, 0, "score_threshold"));
  }
  if (p.iou_threshold < 0 || p.iou_threshold > 1)
    return invalid_argument("iou_threshold {} is outside [0, 1]", p.iou_threshold);
  p.center_point_box = ctx.node().attr_int("center_point_box") != 0;
  p.batches = ctx.input(0).dim(0);
  p.spatial = ctx.input(0).dim(1);
  p.classes = ctx.input(1).dim(1);
  const std::vector<int64_t> selected = detection::onnx_nms_reference(boxes.data(), scores.data(), p);
  Tensor out(DataType::kInt64, {static_cast<int64_t>(selected.size() / 3), 3});
  std::copy(selected.begin(), selected.end(), out.data<int64_t>());
  ctx.set_output(0, std::move(out));
  return Status::Ok();
}

// Bilinear sample of one [H, W] plane at (y, x); points more than one pixel outside read 0 and
// points just outside clamp to the edge.
struct RoiSample {
  int64_t offsets[4] = {0, 0, 0, 0};
  double weights[4] = {0, 0, 0, 0};
};

RoiSample roi_sample(double y, double x, int64_t h, int64_t w) {
  RoiSample s;
  if (y < -1.0 || y > static_cast<double>(h) || x < -1.0 || x > static_cast<double>(w)) return s;
  y = std::max(y, 0.0);
  x = std::max(x, 0.0);
  int64_t y0 = static_cast<int64_t>(y), x0 = static_cast<int64_t>(x), y1 = y0 + 1, x1 = x0 + 1;
  if (y0 >= h - 1) y = static_cast<double>(y0 = y1 = h - 1);
  if (x0 >= w - 1) x = static_cast<double>(x0 = x1 = w - 1);
  const double ly = y - static_cast<double>(y0), lx = x - static_cast<double>(x0), hy = 1 - ly, hx = 1 - lx;
  s.offsets[0] = y0 * w + x0, s.offsets[1] = y0 * w + x1, s.offsets[2] = y1 * w + x0, s.offsets[3] = y1 * w + x1;
  s.weights[0] = hy * hx, s.weights[1] = hy * lx, s.weights[2] = ly * hx, s.weights[3] = ly * lx;
  return s;
}

Status run_roi_align(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(auto data, tensor_to_doubles(x));
  KILN_ASSIGN_OR_RETURN(auto rois, tensor_to_doubles(ctx.input(1)));
  KILN_ASSIGN_OR_RETURN(auto batch_indices, tensor_to_int64s(ctx.input(2)));
  const int64_t n = x.dim(0), channels = x.dim(1), h = x.dim(2), w = x.dim(3);
  const int64_t oh = node.attr_int("output_height"), ow = node.attr_int("output_width");
  const int64_t sampling_ratio = node.attr_int("sampling_ratio");
  const double scale = node.attr_float("spatial_scale");
  const bool max_mode = node.attr_string("mode") == "max";
  // coordinate_transformation_mode came in opset 16; before it RoiAlign behaved as output_half_pixel.
  const bool half_pixel = node.opset() >= 16 && node.attr_string("coordinate_transformation_mode") == "half_pixel";
  const int64_t num_rois = static_cast<int64_t>(batch_indices.size());
  for (int64_t b : batch_indices)
    if (b < 0 || b >= n) return out_of_range("batch index {} is outside [0, {})", b, n);

  std::vector<double> out(static_cast<size_t>(num_rois * channels * oh * ow));
  parallel_for(num_rois, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const double* roi = &rois[static_cast<size_t>(r * 4)];
      const double offset = half_pixel ? 0.5 : 0.0;
      const double x0 = roi[0] * scale - offset, y0 = roi[1] * scale - offset;
      double roi_w = roi[2] * scale - offset - x0, roi_h = roi[3] * scale - offset - y0;
      if (!half_pixel) roi_w = std::max(roi_w, 1.0), roi_h = std::max(roi_h, 1.0);
      const double bin_h = roi_h / static_cast<double>(oh), bin_w = roi_w / static_cast<double>(ow);
      const int64_t grid_h = sampling_ratio > 0 ? sampling_ratio : static_cast<int64_t>(std::ceil(roi_h / static_cast<double>(oh)));
      const int64_t grid_w = sampling_ratio > 0 ? sampling_ratio : static_cast<int64_t>(std::ceil(roi_w / static_cast<double>(ow)));
      const double count = static_cast<double>(std::max<int64_t>(grid_h * grid_w, 1));
      // Sample positions are the same for every channel.
      std::vector<RoiSample> samples;
      for (int64_t ph = 0; ph < oh; ++ph)
        for (int64_t pw = 0; pw < ow; ++pw)
          for (int64_t iy = 0; iy < grid_h; ++iy)
            for (int64_t ix = 0; ix < grid_w; ++ix)
              samples.push_back(roi_sample(y0 + static_cast<double>(ph) * bin_h + (static_cast<double>(iy) + 0.5) * bin_h / static_cast<double>(grid_h),
                                           x0 + static_cast<double>(pw) * bin_w + (static_cast<double>(ix) + 0.5) * bin_w / static_cast<double>(grid_w), h, w));
      const size_t per_bin = static_cast<size_t>(grid_h * grid_w);
      for (int64_t c = 0; c < channels; ++c) {
        const double* plane = &data[static_cast<size_t>((batch_indices[static_cast<size_t>(r)] * channels + c) * h * w)];
        for (int64_t bin = 0; bin < oh * ow; ++bin) {
          double acc = 0.0;
          for (size_t k = 0; k < per_bin; ++k) {
            const RoiSample& s = samples[static_cast<size_t>(bin) * per_bin + k];
            // Max mode takes the largest weighted corner, as the ONNX reference results do.
            double v = max_mode ? s.weights[0] * plane[s.offsets[0]] : 0.0;
            for (int q = 0; q < 4; ++q) {
              const double term = s.weights[q] * plane[s.offsets[q]];
              v = max_mode ? std::max(v, term) : v + term;
            }
            acc = max_mode ? (k == 0 ? v : std::max(acc, v)) : acc + v;
          }
          out[static_cast<size_t>((r * channels + c) * oh * ow + bin)] = max_mode ? acc : acc / count;
        }
      }
    }
  });
  return store_doubles(out, ctx.output(0));
}

}  // namespace

void register_detection_kernels(KernelRegistry& r) {
  r.add("NonMaxSuppression", run_nms);
  r.add("RoiAlign", run_roi_align);
}

}  // namespace kiln
