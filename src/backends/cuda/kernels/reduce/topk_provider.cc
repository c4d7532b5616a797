// TopK with a constant k of at most kMaxTopK.
#include <limits>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/reduce/launchers.h"
#include "backends/cuda/kernels/reduce/plan_provider.h"
#include "backends/cuda/kernels/reduce/providers.h"
#include "ir/ops/infer_utils.h"

namespace kiln::cuda::reduce {

namespace {

struct TopKPlan {
  DataType dtype = DataType::kUndefined;
  TopKArgs args;
  std::string name;

  std::string tactic_name() const { return name; }
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& in, const std::vector<void*>& out) const {
    KILN_CUDA_CHECK(launch_topk(dtype, args, in[0], out[0], static_cast<int64_t*>(out[1]), env.stream));
    return Status::Ok();
  }
};

Expected<TopKPlan> make_topk_plan(const LayerSpec& spec) {
  KILN_RETURN_IF_ERROR(check_op(spec, {"TopK"}));
  const Node& op = *spec.op;
  const TensorDesc& x = *spec.inputs[0];
  KILN_RETURN_IF_ERROR(check_dtype(x.dtype, {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16, DataType::kFloat64,
                                             DataType::kInt32, DataType::kInt64},
                                   "TopK"));
  if (op.opset() < 10) return unsupported("TopK before opset 10 (k as an attribute)");
  if (spec.outputs.size() < 2) return invalid_argument("TopK without its Indices output");
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> k, constant_ints(spec, 1, "K"));
  if (k.size() != 1) return invalid_argument("input 'K' must hold one value, got {}", k.size());
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(op.attr_int("axis", -1), static_cast<int>(x.dims.size())));
  if (k[0] < 0 || k[0] > x.dims[static_cast<size_t>(axis)])
    return invalid_argument("K = {} for an axis of {}", k[0], x.dims[static_cast<size_t>(axis)]);
  if (k[0] > static_cast<int64_t>(kMaxTopK)) return unsupported("TopK with K = {} (at most {})", k[0], kMaxTopK);
  if (x.numel() > std::numeric_limits<int32_t>::max()) return unsupported("{} elements (32-bit indexing)", x.numel());
  TopKPlan plan;
  plan.dtype = x.dtype;
  const AxisSplit split = split_at_axis(x.dims, axis);
  plan.args.outer = split.outer;
  plan.args.n = split.n;
  plan.args.inner = split.inner;
  plan.args.k = static_cast<uint32_t>(k[0]);
  plan.args.largest = op.attr_int("largest", 1) != 0;
  plan.name = fmt::format("kiln_topk_{}", dtype_tag(x.dtype));
  return plan;
}

}  // namespace

const TacticProvider* topk_provider() {
  static const PlanProvider<TopKPlan> provider("kiln_topk", make_topk_plan);
  return &provider;
}

}  // namespace kiln::cuda::reduce
