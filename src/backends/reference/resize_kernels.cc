// Resize and Upsample. Every mode ONNX defines is separable, so the kernel resizes one axis at a
// time, applying the per-axis taps of resize_plan.h. Intermediate values are kept in double.
#include <cmath>
#include <type_traits>

#include "backends/reference/compute_type.h"
#include "backends/reference/axis_view.h"
#include "backends/reference/kernel.h"
#include "backends/reference/resize_plan.h"
#include "core/dispatch.h"
#include "core/thread_pool.h"

namespace kiln {

namespace {

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
