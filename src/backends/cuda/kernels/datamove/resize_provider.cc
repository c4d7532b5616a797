// Resize and Upsample of 4-D NCHW tensors that keep N and C: per output row and column the taps of
// the reference's own plan (backends/reference/resize_plan.h), uploaded once at create(). Nearest
// copies the one tapped element (bit-exact, any type); linear and cubic weigh their taps in float
// (float types only). scales/sizes/roi must be constant.
#include <cmath>
#include <cstring>
#include <type_traits>

#include "backends/cuda/kernels/datamove/layer_kernels.h"
#include "backends/cuda/kernels/datamove/provider.h"
#include "backends/reference/resize_plan.h"
#include "core/dispatch.h"

namespace kiln::cuda::datamove {

namespace {

struct ResizeSetup {
  ResizeParams params;
  std::vector<ResizeTaps> rows, cols;
};

// The plan of one axis as fixed-size tap lists (no taps: extrapolate).
std::vector<ResizeTaps> taps_of(const AxisPlan& plan) {
  std::vector<ResizeTaps> taps(plan.taps.size());
  for (size_t x = 0; x < plan.taps.size(); ++x) {
    if (plan.extrapolate[x]) continue;
    for (const Tap& t : plan.taps[x]) {
      ResizeTaps& r = taps[x];
      r.index[r.count] = static_cast<int32_t>(t.index);
      r.weight[r.count] = static_cast<float>(t.weight);
      ++r.count;
    }
  }
  return taps;
}

// True when every output coordinate reads exactly its own input element (N and C must). Unlike
// the reference's is_identity, zero-weight taps elsewhere are allowed: linear plans always carry one.
bool passes_through(const AxisPlan& plan, int64_t in_dim) {
  if (static_cast<int64_t>(plan.taps.size()) != in_dim) return false;
  for (size_t x = 0; x < plan.taps.size(); ++x) {
    if (plan.extrapolate[x]) return false;
    double own = 0;
    for (const Tap& t : plan.taps[x]) {
      if (t.index == static_cast<int64_t>(x)) own += t.weight;
      else if (t.weight != 0) return false;
    }
    if (own != 1) return false;
  }
  return true;
}

Expected<ResizeSetup> resize_setup(const LayerSpec& spec) {
  const std::vector<int64_t>& in = spec.inputs[0]->dims;
  const std::vector<int64_t>& out = spec.outputs[0].dims;
  if (in.size() != 4) return unsupported("{} of rank {}: the CUDA kernel resizes 4-D NCHW tensors", spec.op->op_type(), in.size());
  const ResizeInputs which = resize_inputs(*spec.op);
  std::vector<const Tensor*> values(spec.inputs.size(), nullptr);
  for (size_t i = 1; i < spec.inputs.size(); ++i) {
    const auto at = static_cast<int>(i);
    KILN_ASSIGN_OR_RETURN(values[i], optional_constant(spec, i, at == which.roi ? "roi" : at == which.sizes ? "sizes" : "scales"));
  }
  ResizeSetup s;
  KILN_ASSIGN_OR_RETURN(s.params, read_resize_params(*spec.op, values, 4));
  for (size_t a = 0; a < 4; ++a)
    if (in[a] == 0 && out[a] > 0) return invalid_argument("cannot resize the empty axis {} to {}", a, out[a]);
  for (int a = 0; a < 2; ++a)
    if (in[static_cast<size_t>(a)] != out[static_cast<size_t>(a)] ||
        !passes_through(plan_axis(s.params, a, 4, in[static_cast<size_t>(a)], out[static_cast<size_t>(a)]), in[static_cast<size_t>(a)]))
      return unsupported("{} resizes axis {}; the CUDA kernel resizes H and W only", spec.op->op_type(), a);
  if (s.params.mode != "nearest" && !is_floating(spec.inputs[0]->dtype))
    return unsupported("{} {} of {} data; the CUDA kernel interpolates float types only", s.params.mode,
                       spec.op->op_type(), data_type_name(spec.inputs[0]->dtype));
  if (spec.inputs[0]->dtype == DataType::kFloat64 && s.params.mode != "nearest")
    return unsupported("{} {} of float64 data is not supported on CUDA", s.params.mode, spec.op->op_type());
  s.rows = taps_of(plan_axis(s.params, 2, 4, in[2], out[2]));
  s.cols = taps_of(plan_axis(s.params, 3, 4, in[3], out[3]));
  return s;
}

// The extrapolation value's bits in the data's type, converted as the reference does (integers
// rounded to nearest).
uint64_t extrapolation_bits(const ResizeParams& p, DataType dtype) {
  uint64_t bits = 0;
  (void)KILN_DISPATCH_ALL(dtype, [&](auto tag) {
    using T = decltype(tag);
    const double v = std::is_integral_v<T> ? std::nearbyint(p.extrapolation_value) : p.extrapolation_value;
    const T t = static_cast<T>(static_cast<float>(v));
    std::memcpy(&bits, &t, sizeof(T));
    return Status::Ok();
  });
  return bits;
}

FloatType float_type(DataType t) {
  if (t == DataType::kFloat16) return FloatType::kFloat16;
  if (t == DataType::kBFloat16) return FloatType::kBFloat16;
  return FloatType::kFloat32;
}

class ResizeProvider final : public DataMovementProvider {
 public:
  ResizeProvider() : DataMovementProvider("kiln_resize", {"Resize", "Upsample"}) {}

 protected:
  Status check(const LayerSpec& spec) const override { return resize_setup(spec).status(); }

  std::vector<std::string> tactic_names(const LayerSpec& spec) const override {
    return {"kiln_resize_" + spec.op->attr_string("mode", "nearest")};
  }

  Expected<std::unique_ptr<LayerKernel>> make(const LayerSpec& spec, size_t) const override {
    KILN_ASSIGN_OR_RETURN(ResizeSetup s, resize_setup(spec));
    const std::vector<int64_t>& in = spec.inputs[0]->dims;
    const std::vector<int64_t>& out = spec.outputs[0].dims;
    KILN_ASSIGN_OR_RETURN(DeviceBuffer rows, DeviceBuffer::upload(s.rows.data(), s.rows.size() * sizeof(ResizeTaps)));
    KILN_ASSIGN_OR_RETURN(DeviceBuffer cols, DeviceBuffer::upload(s.cols.data(), s.cols.size() * sizeof(ResizeTaps)));
    if (s.params.mode == "nearest") {
      ResizeNearestMap map{static_cast<const ResizeTaps*>(rows.get()), static_cast<const ResizeTaps*>(cols.get()),
                           in[2], in[3], out[2], out[3]};
      auto kernel = std::make_unique<MapCopyKernel<ResizeNearestMap>>(
          map, static_cast<int>(data_type_size(spec.outputs[0].dtype)), spec.outputs[0].numel(), spec.inputs[0]->numel(),
          extrapolation_bits(s.params, spec.outputs[0].dtype));
      kernel->keep(std::move(rows));
      kernel->keep(std::move(cols));
      return std::unique_ptr<LayerKernel>(std::move(kernel));
    }
    ResizeInterpolation r;
    r.planes = in[0] * in[1];
    r.in_h = in[2];
    r.in_w = in[3];
    r.out_h = out[2];
    r.out_w = out[3];
    r.extrapolation = static_cast<float>(s.params.extrapolation_value);
    return make_kernel<ResizeInterpolationKernel>(r, float_type(spec.outputs[0].dtype), std::move(rows), std::move(cols));
  }
};

}  // namespace

const TacticProvider* resize_provider() {
  static const ResizeProvider provider;
  return &provider;
}

}  // namespace kiln::cuda::datamove
