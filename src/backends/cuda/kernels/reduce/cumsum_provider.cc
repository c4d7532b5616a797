// CumSum along one axis, the axis read from its constant input.
#include <limits>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/reduce/launchers.h"
#include "backends/cuda/kernels/reduce/plan_provider.h"
#include "backends/cuda/kernels/reduce/providers.h"
#include "ir/ops/infer_utils.h"

namespace kiln::cuda::reduce {

namespace {

struct CumSumPlan {
  DataType dtype = DataType::kUndefined;
  CumSumArgs args;
  std::string name;

  std::string tactic_name() const { return name; }
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& in, const std::vector<void*>& out) const {
    KILN_CUDA_CHECK(launch_cumsum(dtype, args, in[0], out[0], env.stream));
    return Status::Ok();
  }
};

Expected<CumSumPlan> make_cumsum_plan(const LayerSpec& spec) {
  KILN_RETURN_IF_ERROR(check_op(spec, {"CumSum"}));
  const TensorDesc& x = *spec.inputs[0];
  KILN_RETURN_IF_ERROR(check_dtype(x.dtype, {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16, DataType::kFloat64,
                                             DataType::kInt32, DataType::kInt64},
                                   "CumSum"));
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> axis_values, constant_ints(spec, 1, "axis"));
  if (axis_values.size() != 1) return invalid_argument("input 'axis' must hold one value, got {}", axis_values.size());
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(axis_values[0], static_cast<int>(x.dims.size())));
  if (x.numel() > std::numeric_limits<int32_t>::max()) return unsupported("{} elements (32-bit indexing)", x.numel());
  CumSumPlan plan;
  plan.dtype = x.dtype;
  const AxisSplit split = split_at_axis(x.dims, axis);
  plan.args.outer = split.outer;
  plan.args.n = split.n;
  plan.args.inner = split.inner;
  plan.args.exclusive = spec.op->attr_int("exclusive", 0) != 0;
  plan.args.reverse = spec.op->attr_int("reverse", 0) != 0;
  plan.name = fmt::format("kiln_cumsum_{}", dtype_tag(x.dtype));
  return plan;
}

}  // namespace

const TacticProvider* cumsum_provider() {
  static const PlanProvider<CumSumPlan> provider("kiln_cumsum", make_cumsum_plan);
  return &provider;
}

}  // namespace kiln::cuda::reduce
