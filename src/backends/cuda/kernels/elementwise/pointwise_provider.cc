// kiln.Pointwise: generates the body's source, compiles it with NVRTC for the device's compute
// capability at create(), and runs it like any elementwise kernel.
#include "backends/cuda/kernels/elementwise/elementwise_provider.h"
#include "backends/cuda/kernels/elementwise/nvrtc_compiler.h"
#include "backends/cuda/kernels/elementwise/op_attrs.h"
#include "backends/cuda/kernels/elementwise/pointwise_codegen.h"
#include "backends/cuda/kernels/elementwise/pointwise_kernel.h"
#include "core/error.h"
#include "ir/ops/fused_ops.h"

namespace kiln::cuda::elementwise {

namespace {

struct PointwisePlan {
  std::string source;
  std::string tactic;
  ElementwiseLayout layout;
};

Expected<PointwisePlan> make_plan(const LayerSpec& spec, const DeviceContext& dev) {
  const Node& op = *spec.op;
  if (op.domain() != kKilnDomain || op.op_type() != kPointwiseOp) return unsupported("{} is not kiln.Pointwise", op.op_type());
  const Attribute* body = op.attr("body");
  if (body == nullptr || !body->g) return invalid_argument("kiln.Pointwise without attribute 'body'");
  if (spec.outputs.size() != 1) return unsupported("Pointwise with {} outputs", spec.outputs.size());
  std::vector<DataType> types;
  std::vector<std::vector<int64_t>> dims;
  std::vector<size_t> bytes;
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    if (!spec.has_input(i)) return unsupported("Pointwise input {} is absent", i);
    types.push_back(spec.inputs[i]->dtype);
    dims.push_back(spec.inputs[i]->dims);
    bytes.push_back(data_type_size(spec.inputs[i]->dtype));
  }
  const TensorDesc& out = spec.outputs[0];
  PointwisePlan plan;
  KILN_ASSIGN_OR_RETURN(plan.source, generate_pointwise_source(*body->g, types, out.dtype));
  KILN_ASSIGN_OR_RETURN(plan.layout, plan_layout(dims, bytes, out.dims, data_type_size(out.dtype), dev));
  plan.tactic = fmt::format("kiln_pointwise_{}_{:08x}", dtype_tag(out.dtype),
                            static_cast<uint32_t>(source_hash(plan.source)));
  return plan;
}

class PointwiseProvider final : public TacticProvider {
 public:
  std::string_view name() const override { return "kiln_pointwise"; }

  Status supports(const LayerSpec& spec) const override { return make_plan(spec, DeviceContext{}).status(); }

  Expected<std::vector<Tactic>> tactics(const LayerSpec& spec, const DeviceContext& dev) const override {
    KILN_ASSIGN_OR_RETURN(PointwisePlan plan, make_plan(spec, dev));
    return std::vector<Tactic>{{plan.tactic, 0}};
  }

  Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const Tactic& tactic,
                                                const DeviceContext& dev) const override {
    KILN_ASSIGN_OR_RETURN(PointwisePlan plan, make_plan(spec, dev));
    if (tactic.name != plan.tactic) return invalid_argument("tactic {} is not {}", tactic.name, plan.tactic);
    KILN_ASSIGN_OR_RETURN(auto cubin, compile_cubin(plan.source, gpu_arch(dev.props.major, dev.props.minor)));
    KILN_ASSIGN_OR_RETURN(auto kernel, PointwiseKernel::load(std::move(plan.source), std::move(cubin), std::move(plan.layout)));
    return std::unique_ptr<LayerKernel>(std::move(kernel));
  }
};

}  // namespace

const TacticProvider& pointwise_provider() {
  static const PointwiseProvider provider;
  return provider;
}

}  // namespace kiln::cuda::elementwise
