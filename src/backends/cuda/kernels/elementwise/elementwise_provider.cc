#include "backends/cuda/kernels/elementwise/elementwise_provider.h"

#include <algorithm>
#include <cctype>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/elementwise/launchers.h"
#include "backends/cuda/kernels/elementwise/layout.h"
#include "backends/cuda/kernels/elementwise/op_attrs.h"
#include "ir/ops/infer_utils.h"

namespace kiln::cuda::elementwise {

namespace {

// Everything create() needs, worked out (and checked) once by supports/tactics/create alike.
struct Plan {
  std::string tactic;
  // A copy of input 0 (Identity, inference Dropout, a Cast to the same dtype), plus Dropout's
  // all-true mask when it is requested.
  bool copy = false;
  size_t copy_bytes = 0;
  int64_t mask_elements = 0;
  // Otherwise one kernel: kernel input k reads layer input input_map[k].
  Launcher launcher = nullptr;
  kiln_device::OpAttrs attrs{};
  ElementwiseLayout layout;
  std::vector<int> input_map;
};

bool is_predicate(std::string_view op) {
  return op == "Equal" || op == "Greater" || op == "GreaterOrEqual" || op == "Less" || op == "LessOrEqual" ||
         op == "IsNaN" || op == "IsInf";
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Whether a Dropout runs as a copy: training_mode, when given, must be a constant false, or a
// constant true with a constant ratio of 0 (the reference's rule: random dropout is refused).
Status check_inference_dropout(const LayerSpec& spec, const Node& op) {
  if (op.opset() < 12 || !spec.has_input(2)) return Status::Ok();
  const Tensor* training = spec.inputs[2]->host_constant;
  if (training == nullptr) return unsupported("Dropout training_mode is not a constant");
  if (training->numel() == 0 || !training->data<bool>()[0]) return Status::Ok();
  double ratio = 0.5;
  if (spec.has_input(1)) {
    if (spec.inputs[1]->host_constant == nullptr) return unsupported("Dropout ratio is not a constant");
    KILN_ASSIGN_OR_RETURN(auto r, tensor_to_doubles(*spec.inputs[1]->host_constant));
    if (!r.empty()) ratio = r[0];
  }
  if (ratio != 0) return unsupported("Dropout with training_mode=true and ratio {} is random", ratio);
  return Status::Ok();
}

Expected<Plan> plan_copy(const LayerSpec& spec, const Node& op) {
  Plan plan;
  plan.copy = true;
  const DataType type = spec.inputs[0]->dtype;
  if (spec.outputs[0].dtype != type || spec.outputs[0].numel() != spec.inputs[0]->numel())
    return unsupported("{} output is not a copy of its input", op.op_type());
  plan.copy_bytes = static_cast<size_t>(spec.inputs[0]->numel()) * data_type_size(type);
  if (op.op_type() == "Dropout") {
    KILN_RETURN_IF_ERROR(check_inference_dropout(spec, op));
    if (spec.outputs.size() > 1 && spec.outputs[1].dtype != DataType::kUndefined) {
      if (spec.outputs[1].dtype != DataType::kBool)
        return unsupported("Dropout mask of dtype {} (before opset 10)", data_type_name(spec.outputs[1].dtype));
      plan.mask_elements = spec.outputs[1].numel();
    }
  }
  plan.tactic = fmt::format("kiln_elementwise_{}_{}", lowercase(op.op_type()), dtype_tag(type));
  return plan;
}

Expected<Plan> make_plan(const LayerSpec& spec, const DeviceContext& dev) {
  const Node& op = *spec.op;
  const std::string& name = op.op_type();
  if (!op.domain().empty()) return unsupported("{} is not an ONNX-domain op", name);
  if (spec.inputs.empty() || !spec.has_input(0) || spec.outputs.empty())
    return unsupported("{} without input 0 or output", name);
  const bool is_cast = name == "Cast" || name == "CastLike";
  if (name == "Identity" || name == "Dropout" || (is_cast && spec.inputs[0]->dtype == spec.outputs[0].dtype))
    return plan_copy(spec, op);
  if (spec.outputs.size() != 1) return unsupported("{} with {} outputs", name, spec.outputs.size());

  Plan plan;
  // Kernel inputs: every input; CastLike reads only its data; an absent Clip bound reads x's
  // first element, which the functor ignores.
  std::vector<std::vector<int64_t>> dims;
  std::vector<size_t> bytes;
  const size_t count = name == "CastLike" ? 1 : name == "Clip" ? 3 : spec.inputs.size();
  for (size_t i = 0; i < count; ++i) {
    if (spec.has_input(i)) {
      if (name == "Clip" && i > 0 && spec.inputs[i]->numel() != 1)
        return unsupported("Clip bound {} has {} elements", i, spec.inputs[i]->numel());
      plan.input_map.push_back(static_cast<int>(i));
      dims.push_back(spec.inputs[i]->dims);
    } else if (name == "Clip") {
      plan.input_map.push_back(0);
      dims.push_back({});
    } else {
      return unsupported("{} with input {} absent", name, i);
    }
    bytes.push_back(data_type_size(spec.inputs[static_cast<size_t>(plan.input_map.back())]->dtype));
  }

  // The dtypes the kernel is instantiated for, and the ones the layer must have to match it.
  const size_t value_input = name == "Where" ? 1 : 0;
  if (!spec.has_input(value_input)) return unsupported("{} without input {}", name, value_input);
  const DataType first = spec.inputs[value_input]->dtype;
  const DataType second = is_cast ? spec.outputs[0].dtype : name == "Pow" ? spec.inputs[1]->dtype : DataType::kUndefined;
  for (size_t k = 0; k < plan.input_map.size(); ++k) {
    const size_t i = static_cast<size_t>(plan.input_map[k]);
    const DataType want = name == "Where" && i == 0 ? DataType::kBool : first;
    if (spec.inputs[i]->dtype != want && !(name == "Pow" && i == 1))
      return unsupported("{} input {} is {}, expected {}", name, i, data_type_name(spec.inputs[i]->dtype),
                         data_type_name(want));
  }
  const DataType out_type = is_predicate(name) ? DataType::kBool : is_cast ? second : first;
  if (spec.outputs[0].dtype != out_type)
    return unsupported("{} output is {}, the kernel writes {}", name, data_type_name(spec.outputs[0].dtype),
                       data_type_name(out_type));

  plan.launcher = find_launcher(name, first, second);
  if (plan.launcher == nullptr) {
    if (second != DataType::kUndefined)
      return unsupported("no elementwise kernel for {} from {} to {}", name, data_type_name(first), data_type_name(second));
    return unsupported("no elementwise kernel for {} on {}", name, data_type_name(first));
  }
  KILN_ASSIGN_OR_RETURN(plan.attrs, op_attrs(op));
  KILN_ASSIGN_OR_RETURN(plan.layout, plan_layout(dims, bytes, spec.outputs[0].dims, data_type_size(out_type), dev));
  // kiln_elementwise_add_fp16, kiln_elementwise_pow_fp32_int64, kiln_elementwise_cast_fp32_to_int8.
  plan.tactic = fmt::format("kiln_elementwise_{}_{}", lowercase(name), dtype_tag(first));
  if (second != DataType::kUndefined) plan.tactic += fmt::format("_{}{}", is_cast ? "to_" : "", dtype_tag(second));
  return plan;
}

class CopyKernel final : public LayerKernel {
 public:
  explicit CopyKernel(const Plan& plan) : bytes_(plan.copy_bytes), mask_elements_(plan.mask_elements) {}

  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override {
    if (bytes_ != 0 && outputs[0] != inputs[0])
      KILN_CUDA_CHECK(cudaMemcpyAsync(outputs[0], inputs[0], bytes_, cudaMemcpyDeviceToDevice, env.stream));
    // bool true is the byte 1.
    if (mask_elements_ != 0 && outputs.size() > 1 && outputs[1] != nullptr)
      KILN_CUDA_CHECK(cudaMemsetAsync(outputs[1], 1, static_cast<size_t>(mask_elements_), env.stream));
    return Status::Ok();
  }

 private:
  size_t bytes_;
  int64_t mask_elements_;
};

class ElementwiseKernel final : public LayerKernel {
 public:
  explicit ElementwiseKernel(Plan plan) : plan_(std::move(plan)) {}

  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override {
    if (plan_.layout.params.numel == 0) return Status::Ok();
    std::vector<const void*> kernel_inputs;
    for (int i : plan_.input_map) kernel_inputs.push_back(inputs[static_cast<size_t>(i)]);
    const kiln_device::ElementwiseParams params = bind(plan_.layout, kernel_inputs, outputs[0]);
    KILN_CUDA_CHECK(plan_.launcher(plan_.attrs, params, plan_.layout.blocks, env.stream));
    return Status::Ok();
  }

 private:
  Plan plan_;
};

class ElementwiseProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "kiln_elementwise"; }

  Status supports(const LayerSpec& spec) const override { return make_plan(spec, DeviceContext{}).status(); }

  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext& dev) const override {
    KILN_ASSIGN_OR_RETURN(Plan plan, make_plan(spec, dev));
    return std::vector<Tactic>{{plan.tactic, 0}};
  }

  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext& dev) const override {
    KILN_ASSIGN_OR_RETURN(Plan plan, make_plan(spec, dev));
    if (tactic.name != plan.tactic) return invalid_argument("tactic {} is not {}", tactic.name, plan.tactic);
    if (plan.copy) return std::unique_ptr<LayerKernel>(std::make_unique<CopyKernel>(plan));
    return std::unique_ptr<LayerKernel>(std::make_unique<ElementwiseKernel>(std::move(plan)));
  }
};

}  // namespace

const TacticProvider& elementwise_provider() {
  static const ElementwiseProvider provider;
  return provider;
}

}  // namespace kiln::cuda::elementwise
