// QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear on Kiln's own kernels
// (quantize_kernels.cu). Scales and zero points are read by the kernels from device memory, so
// they need not be constants; create() only works out types, sizes and the quantization axis.
#include "backends/cuda/kernels/quantize/quantize_provider.h"

#include <fmt/format.h>

#include <string>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/quantize/quantize_kernels.h"
#include "core/error.h"
#include "ir/ops/infer_utils.h"

namespace kiln::cuda::quantize {

namespace {

enum class QuantizeOp { kQuantize, kDequantize, kDynamicQuantize };

// Everything a kernel needs, worked out from the LayerSpec alone.
struct QuantizePlan {
  QuantizeOp op = QuantizeOp::kQuantize;
  DataType real_type = DataType::kUndefined;   // x of Quantize/DynamicQuantize
  DataType scale_type = DataType::kUndefined;  // also y of Dequantize
  DataType quantized_type = DataType::kUInt8;  // y of Quantize; x of Dequantize
  ParamAxis axis;
  int64_t n = 0;
  std::string tactic_name;
  // The vector kernels (tactic 1) instead of the scalar ones (tactic 0); see vectorizable().
  bool vectorized = false;
};

enum TacticId : int64_t { kScalarTactic = 0, kVectorTactic = 1 };

bool is_real_type(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat16 || t == DataType::kBFloat16;
}

bool is_quantized_type(DataType t) {
  return t == DataType::kUInt8 || t == DataType::kInt8 || t == DataType::kFloat8E4M3;
}

// The kernels do not read a float8e4m3 zero point: it must be absent or a constant 0.
Status check_fp8_zero_point(const LayerSpec& spec, DataType quantized) {
  if (quantized != DataType::kFloat8E4M3 || !spec.has_input(2)) return Status::Ok();
  const Tensor* zp = spec.inputs[2]->host_constant;
  if (zp == nullptr) return unsupported("a float8e4m3 zero point must be a constant");
  for (int64_t i = 0; i < zp->numel(); ++i)
    if ((zp->data<uint8_t>()[i] & 0x7F) != 0) return invalid_argument("a float8e4m3 zero point must be 0");
  return Status::Ok();
}

std::string_view type_tag(DataType t) {
  switch (t) {
    case DataType::kFloat32: return "fp32";
    case DataType::kFloat16: return "fp16";
    case DataType::kBFloat16: return "bf16";
    case DataType::kUInt8: return "u8";
    case DataType::kInt8: return "i8";
    case DataType::kFloat8E4M3: return "e4m3";
    default: return "?";
  }
}

// The parameter layout of a scale (input 1) and optional zero point (input 2) for the data
// (input 0): one value is per-tensor (whatever `axis` says, as the reference reads it), a 1-D
// scale is per-axis and must have dims[axis] values; the zero point must match the scale.
Expected<ParamAxis> param_axis(const LayerSpec& spec) {
  const TensorDesc& x = *spec.inputs[0];
  const TensorDesc& scale = *spec.inputs[1];
  if (spec.has_input(2) && spec.inputs[2]->numel() != scale.numel())
    return invalid_argument("the zero point has {} values but the scale has {}", spec.inputs[2]->numel(),
                            scale.numel());
  ParamAxis p;
  if (scale.numel() == 1) return p;
  if (scale.dims.size() != 1) return unsupported("a scale of rank {} (scalar or 1-D)", scale.dims.size());
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(spec.op->attr_int("axis", 1), static_cast<int>(x.dims.size())));
  if (scale.dims[0] != x.dims[static_cast<size_t>(axis)])
    return invalid_argument("the scale has {} values but axis {} of the input has size {}", scale.dims[0], axis,
                            x.dims[static_cast<size_t>(axis)]);
  p.size = scale.dims[0];
  for (size_t d = static_cast<size_t>(axis) + 1; d < x.dims.size(); ++d) p.inner *= x.dims[d];
  return p;
}

Expected<QuantizePlan> make_quantize(const LayerSpec& spec) {
  KILN_ASSIGN_OR_RETURN(QuantizeTypes types, quantize_types(spec, "QuantizeLinear"));
  QuantizePlan plan;
  plan.real_type = types.real;
  plan.scale_type = types.scale;
  plan.quantized_type = types.quantized;
  KILN_ASSIGN_OR_RETURN(plan.axis, param_axis(spec));
  plan.tactic_name = "kiln_quantize_linear_" + types.tag;
  return plan;
}

Expected<QuantizePlan> make_dequantize(const LayerSpec& spec) {
  QuantizePlan plan;
  plan.op = QuantizeOp::kDequantize;
  plan.quantized_type = spec.inputs[0]->dtype;
  plan.scale_type = spec.inputs[1]->dtype;
  if (!is_quantized_type(plan.quantized_type))
    return unsupported("DequantizeLinear of {} input (uint8, int8 and float8e4m3 are supported)",
                       data_type_name(plan.quantized_type));
  if (!is_real_type(plan.scale_type))
    return unsupported("DequantizeLinear with a {} scale", data_type_name(plan.scale_type));
  if (spec.outputs[0].dtype != plan.scale_type)
    return invalid_argument("the output is {} but the scale is {}", data_type_name(spec.outputs[0].dtype),
                            data_type_name(plan.scale_type));
  if (spec.has_input(2) && spec.inputs[2]->dtype != plan.quantized_type)
    return invalid_argument("the zero point is {} but the input is {}", data_type_name(spec.inputs[2]->dtype),
                            data_type_name(plan.quantized_type));
  KILN_ASSIGN_OR_RETURN(plan.axis, param_axis(spec));
  KILN_RETURN_IF_ERROR(check_fp8_zero_point(spec, plan.quantized_type));
  plan.tactic_name = fmt::format("kiln_dequantize_linear_{}_{}", type_tag(plan.quantized_type),
                                 type_tag(plan.scale_type));
  return plan;
}

Expected<QuantizePlan> make_dynamic_quantize(const LayerSpec& spec) {
  QuantizePlan plan;
  plan.op = QuantizeOp::kDynamicQuantize;
  plan.real_type = spec.inputs[0]->dtype;
  if (!is_real_type(plan.real_type))
    return unsupported("DynamicQuantizeLinear of {} input", data_type_name(plan.real_type));
  if (spec.outputs.size() != 3 || spec.outputs[0].dtype != DataType::kUInt8 ||
      spec.outputs[1].dtype != DataType::kFloat32 || spec.outputs[2].dtype != DataType::kUInt8)
    return unsupported("DynamicQuantizeLinear outputs other than (uint8, float32 scale, uint8 zero point)");
  plan.tactic_name = fmt::format("kiln_dynamic_quantize_linear_{}", type_tag(plan.real_type));
  return plan;
}

// Whether the vector kernels take the plan: QuantizeLinear or DequantizeLinear over a multiple
// of kVectorElements elements whose vectors each read one parameter (per-tensor, or an axis with
// inner size a multiple of the vector) or consecutive ones (the innermost axis, channels-last's
// per-channel parameters, with a multiple of the vector of them).
bool vectorizable(const QuantizePlan& plan) {
  if (plan.op == QuantizeOp::kDynamicQuantize || plan.n % kVectorElements != 0) return false;
  const ParamAxis& a = plan.axis;
  return a.size == 1 || a.inner % kVectorElements == 0 || (a.inner == 1 && a.size % kVectorElements == 0);
}

Expected<QuantizePlan> make_plan(const LayerSpec& spec) {
  const Node& op = *spec.op;
  if (!op.domain().empty()) return unsupported("not an op of this provider: {}.{}", op.domain(), op.op_type());
  if (spec.channels_last) return unsupported("{} in channels-last layout", op.op_type());
  const bool dynamic = op.op_type() == "DynamicQuantizeLinear";
  if (!dynamic && op.op_type() != "QuantizeLinear" && op.op_type() != "DequantizeLinear")
    return unsupported("not an op of this provider: {}", op.op_type());
  if (!spec.has_input(0) || spec.outputs.empty() || (!dynamic && !spec.has_input(1)))
    return invalid_argument("{} without its inputs or outputs", op.op_type());
  Expected<QuantizePlan> plan = dynamic                             ? make_dynamic_quantize(spec)
                                : op.op_type() == "QuantizeLinear" ? make_quantize(spec)
                                                                    : make_dequantize(spec);
  if (plan.ok()) plan->n = spec.inputs[0]->numel();
  return plan;
}

class QuantizeKernel final : public LayerKernel {
 public:
  explicit QuantizeKernel(QuantizePlan plan) : plan_(std::move(plan)) {}

  size_t workspace_bytes() const override {
    return plan_.op == QuantizeOp::kDynamicQuantize ? dynamic_quantize_workspace_bytes(plan_.n) : 0;
  }

  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& in, const std::vector<void*>& out) override {
    const void* zero_point = in.size() > 2 ? in[2] : nullptr;
    switch (plan_.op) {
      case QuantizeOp::kQuantize:
        KILN_CUDA_CHECK((plan_.vectorized ? launch_quantize_vectorized : launch_quantize)(
            plan_.real_type, plan_.scale_type, plan_.quantized_type, plan_.axis, plan_.n, in[0], in[1], zero_point,
            out[0], env.stream));
        break;
      case QuantizeOp::kDequantize:
        KILN_CUDA_CHECK((plan_.vectorized ? launch_dequantize_vectorized : launch_dequantize)(
            plan_.quantized_type, plan_.scale_type, plan_.axis, plan_.n, in[0], in[1], zero_point, out[0],
            env.stream));
        break;
      case QuantizeOp::kDynamicQuantize:
        KILN_CUDA_CHECK(launch_dynamic_quantize(plan_.real_type, plan_.n, in[0], out[0], static_cast<float*>(out[1]),
                                                static_cast<uint8_t*>(out[2]), env.workspace, env.stream));
        break;
    }
    return Status::Ok();
  }

 private:
  QuantizePlan plan_;
};

class QuantizeProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "kiln_quantize"; }
  Status supports(const LayerSpec& spec) const override { return make_plan(spec).status(); }
  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext&) const override {
    KILN_ASSIGN_OR_RETURN(QuantizePlan plan, make_plan(spec));
    std::vector<Tactic> tactics = {{plan.tactic_name, kScalarTactic}};
    if (vectorizable(plan)) tactics.push_back({fmt::format("{}_v{}", plan.tactic_name, kVectorElements), kVectorTactic});
    return tactics;
  }
  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext&) const override {
    KILN_ASSIGN_OR_RETURN(QuantizePlan plan, make_plan(spec));
    if (tactic.id != kScalarTactic && !(tactic.id == kVectorTactic && vectorizable(plan)))
      return invalid_argument("kiln_quantize has no tactic {} for this layer", tactic.id);
    plan.vectorized = tactic.id == kVectorTactic;
    return std::unique_ptr<LayerKernel>(std::make_unique<QuantizeKernel>(std::move(plan)));
  }
};

}  // namespace

Expected<QuantizeTypes> quantize_types(const LayerSpec& spec, std::string_view op) {
  QuantizeTypes t;
  t.real = spec.inputs[0]->dtype;
  t.scale = spec.inputs[1]->dtype;
  t.quantized = spec.outputs[0].dtype;
  if (!is_real_type(t.real)) return unsupported("{} of {} input", op, data_type_name(t.real));
  if (!is_real_type(t.scale)) return unsupported("{} with a {} scale", op, data_type_name(t.scale));
  if (!is_quantized_type(t.quantized))
    return unsupported("{} to {} (uint8, int8 and float8e4m3 are supported)", op, data_type_name(t.quantized));
  if (spec.has_input(2) && spec.inputs[2]->dtype != t.quantized)
    return invalid_argument("the zero point is {} but the output is {}", data_type_name(spec.inputs[2]->dtype),
                            data_type_name(t.quantized));
  KILN_RETURN_IF_ERROR(check_fp8_zero_point(spec, t.quantized));
  t.tag = fmt::format("{}_{}_{}", type_tag(t.real), type_tag(t.scale), type_tag(t.quantized));
  return t;
}

const TacticProvider& quantize_provider() {
  static const QuantizeProvider provider;
  return provider;
}

}  // namespace kiln::cuda::quantize
