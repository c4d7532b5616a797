// Kernels of QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear. Besides uint8 and int8,
// QuantizeLinear and DequantizeLinear convert to and from Kiln's FP8 E4M3 (the --fp8 mode).
#include <algorithm>
#include <cmath>

#include "backends/reference/kernel.h"
#include "backends/reference/quantize_util.h"
#include "core/float8.h"
#include "core/thread_pool.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

constexpr int64_t kGrain = 1 << 14;

// Index along `axis` of flat element i of a tensor of `dims` (0 when axis < 0).
struct AxisIndexer {
  int64_t inner = 1, size = 1;
  AxisIndexer(const std::vector<int64_t>& dims, int axis) {
    if (axis < 0) return;
    size = dims[static_cast<size_t>(axis)];
    for (size_t d = static_cast<size_t>(axis) + 1; d < dims.size(); ++d) inner *= dims[d];
  }
  int64_t operator()(int64_t i) const { return (i / inner) % size; }
};

bool all_zeros(const PerAxis<int32_t>& zp) {
  return std::all_of(zp.values.begin(), zp.values.end(), [](int32_t z) { return z == 0; });
}

// The axis of per-axis parameters; -1 (unused) when the scale is a single value.
Expected<int> quantization_axis(KernelContext& ctx, const Tensor& x) {
  if (ctx.input(1).numel() == 1) return -1;
  return normalize_axis(ctx.node().attr_int("axis", 1), x.rank());
}

Status quantize_linear_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& y = ctx.output(0);
  KILN_ASSIGN_OR_RETURN(int axis, quantization_axis(ctx, x));
  const Tensor* zp_tensor = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  KILN_ASSIGN_OR_RETURN(auto scale, read_per_axis<float>(&ctx.input(1), x.dims(), axis, 1.f, "y_scale"));
  KILN_ASSIGN_OR_RETURN(auto zp, read_per_axis<int32_t>(zp_tensor, x.dims(), axis, 0, "y_zero_point"));
  KILN_ASSIGN_OR_RETURN(std::vector<double> xs, tensor_to_doubles(x));
  const AxisIndexer index(x.dims(), scale.axis);
  auto run = [&](auto tag) -> Status {
    using Q = decltype(tag);
    Q* dst = y.data<Q>();
    parallel_for(x.numel(), kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const int64_t a = index(i);
        // float division, as the ONNX reference computes it
        dst[i] = quantize_value<Q>(static_cast<float>(xs[static_cast<size_t>(i)]) / scale.at(a), zp.at(a));
      }
    });
    return Status::Ok();
  };
  if (y.dtype() == DataType::kUInt8) return run(uint8_t{});
  if (y.dtype() == DataType::kInt8) return run(int8_t{});
  if (y.dtype() == DataType::kFloat8E4M3) {
    // FP8 has no zero point (it must be 0): round to nearest even, saturating to +-448.
    if (zp_tensor != nullptr && !all_zeros(zp)) return invalid_argument("a float8e4m3 zero point must be 0");
    uint8_t* dst = y.data<uint8_t>();
    parallel_for(x.numel(), kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        dst[i] = float_to_e4m3(static_cast<float>(xs[static_cast<size_t>(i)]) / scale.at(index(i)));
    });
    return Status::Ok();
  }
  return invalid_argument("y_zero_point must be uint8, int8 or float8e4m3, got {}", data_type_name(y.dtype()));
}

Status dequantize_linear_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& y = ctx.output(0);
  if (y.dtype() != DataType::kFloat32)
    return unsupported("x_scale of type {} is not supported (float32 is)", data_type_name(y.dtype()));
  KILN_ASSIGN_OR_RETURN(int axis, quantization_axis(ctx, x));
  const Tensor* zp_tensor = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  if (zp_tensor != nullptr && zp_tensor->dtype() != x.dtype())
    return invalid_argument("x_zero_point is {} but x is {}", data_type_name(zp_tensor->dtype()), data_type_name(x.dtype()));
  KILN_ASSIGN_OR_RETURN(auto scale, read_per_axis<float>(&ctx.input(1), x.dims(), axis, 1.f, "x_scale"));
  KILN_ASSIGN_OR_RETURN(auto zp, read_per_axis<int32_t>(zp_tensor, x.dims(), axis, 0, "x_zero_point"));
  KILN_ASSIGN_OR_RETURN(std::vector<double> xs, tensor_to_doubles(x));
  const AxisIndexer index(x.dims(), scale.axis);
  float* dst = y.data<float>();
  if (x.dtype() == DataType::kFloat8E4M3) {
    // xs holds the FP8 values themselves (tensor_to_doubles decodes them); no zero point.
    if (zp_tensor != nullptr && !all_zeros(zp)) return invalid_argument("a float8e4m3 zero point must be 0");
    parallel_for(x.numel(), kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) dst[i] = static_cast<float>(xs[static_cast<size_t>(i)]) * scale.at(index(i));
    });
    return Status::Ok();
  }
  parallel_for(x.numel(), kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t a = index(i);
      dst[i] = static_cast<float>(static_cast<int64_t>(xs[static_cast<size_t>(i)]) - zp.at(a)) * scale.at(a);
    }
  });
  return Status::Ok();
}

// Quantizes to uint8 with the scale and zero point that map [min(x, 0), max(x, 0)] onto [0, 255].
Status dynamic_quantize_linear_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.dtype() != DataType::kFloat32)
    return unsupported("input of type {} is not supported (float32 is)", data_type_name(x.dtype()));
  const float* src = x.data<float>();
  float lo = 0.f, hi = 0.f;
  for (int64_t i = 0; i < x.numel(); ++i) {
    lo = std::min(lo, src[i]);
    hi = std::max(hi, src[i]);
  }
  const float scale = (hi - lo) / 255.f;
  const uint8_t zero_point = scale == 0.f ? 0 : quantize_value<uint8_t>(-lo / scale, 0);
  ctx.output(1).data<float>()[0] = scale;
  ctx.output(2).data<uint8_t>()[0] = zero_point;
  uint8_t* dst = ctx.output(0).data<uint8_t>();
  parallel_for(x.numel(), kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      dst[i] = scale == 0.f ? zero_point : quantize_value<uint8_t>(src[i] / scale, zero_point);
  });
  return Status::Ok();
}

}  // namespace

void register_quantize_kernels(KernelRegistry& r) {
  r.add("QuantizeLinear", quantize_linear_kernel);
  r.add("DequantizeLinear", dequantize_linear_kernel);
  r.add("DynamicQuantizeLinear", dynamic_quantize_linear_kernel);
}

}  // namespace kiln
