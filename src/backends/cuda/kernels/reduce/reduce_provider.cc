// The Reduce* ops and ArgMax/ArgMin: the axes become a GroupLayout, the op a reducer.
#include <map>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/reduce/group_layout.h"
#include "backends/cuda/kernels/reduce/launchers.h"
#include "backends/cuda/kernels/reduce/plan_provider.h"
#include "backends/cuda/kernels/reduce/providers.h"
#include "ir/ops/infer_utils.h"
#include "ir/ops/reduce_axes.h"

namespace kiln::cuda::reduce {

namespace {

struct ReduceOpInfo {
  ReduceKind kind;
  std::string_view tag;
  bool integers;  // also for int32 and int64 data
};

const std::map<std::string_view, ReduceOpInfo>& reduce_ops() {
  static const std::map<std::string_view, ReduceOpInfo> ops = {
      {"ReduceSum", {ReduceKind::kSum, "sum", true}},
      {"ReduceSumSquare", {ReduceKind::kSumSquare, "sumsquare", false}},
      {"ReduceL1", {ReduceKind::kL1, "l1", false}},
      {"ReduceL2", {ReduceKind::kL2, "l2", false}},
      {"ReduceLogSum", {ReduceKind::kLogSum, "logsum", false}},
      {"ReduceLogSumExp", {ReduceKind::kLogSumExp, "logsumexp", false}},
      {"ReduceMax", {ReduceKind::kMax, "max", true}},
      {"ReduceMin", {ReduceKind::kMin, "min", true}},
      {"ReduceMean", {ReduceKind::kMean, "mean", false}},
      {"ReduceProd", {ReduceKind::kProd, "prod", true}},
  };
  return ops;
}

constexpr std::initializer_list<DataType> kNumericTypes = {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16,
                                                           DataType::kFloat64, DataType::kInt32,   DataType::kInt64};

struct ReducePlan {
  enum class Mode { kReduce, kArgMax, kArgMin, kCopy };
  Mode mode = Mode::kReduce;
  ReduceKind kind = ReduceKind::kSum;
  bool select_last = false;
  DataType dtype = DataType::kUndefined;
  GroupLayout layout;
  size_t copy_bytes = 0;  // kCopy: noop_with_empty_axes with no axes
  std::string name;

  std::string tactic_name() const { return name; }
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& in, const std::vector<void*>& out) const {
    switch (mode) {
      case Mode::kCopy:
        if (copy_bytes > 0) KILN_CUDA_CHECK(cudaMemcpyAsync(out[0], in[0], copy_bytes, cudaMemcpyDeviceToDevice, env.stream));
        return Status::Ok();
      case Mode::kReduce:
        KILN_CUDA_CHECK(launch_reduce(kind, dtype, layout, in[0], out[0], env.stream));
        return Status::Ok();
      case Mode::kArgMax:
      case Mode::kArgMin:
        KILN_CUDA_CHECK(launch_arg_reduce(mode == Mode::kArgMax, select_last, dtype, layout, in[0],
                                          static_cast<int64_t*>(out[0]), env.stream));
        return Status::Ok();
    }
    return internal_error("unknown reduce mode");
  }
};

Expected<ReducePlan> arg_reduce_plan(const LayerSpec& spec) {
  const Node& op = *spec.op;
  const TensorDesc& x = *spec.inputs[0];
  KILN_RETURN_IF_ERROR(check_dtype(x.dtype, kNumericTypes, op.op_type()));
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(op.attr_int("axis", 0), static_cast<int>(x.dims.size())));
  if (x.dims[static_cast<size_t>(axis)] == 0 && x.numel() > 0)
    return invalid_argument("{} over the empty axis {}", op.op_type(), axis);
  ReducePlan plan;
  plan.mode = op.op_type() == "ArgMax" ? ReducePlan::Mode::kArgMax : ReducePlan::Mode::kArgMin;
  plan.select_last = op.attr_int("select_last_index", 0) != 0;
  plan.dtype = x.dtype;
  KILN_ASSIGN_OR_RETURN(plan.layout, make_axis_layout(x.dims, axis));
  plan.name = fmt::format("kiln_{}_{}", op.op_type() == "ArgMax" ? "argmax" : "argmin", dtype_tag(x.dtype));
  return plan;
}

Expected<ReducePlan> make_reduce_plan(const LayerSpec& spec) {
  KILN_RETURN_IF_ERROR(check_op(spec, {"ReduceSum", "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSum",
                                       "ReduceLogSumExp", "ReduceMax", "ReduceMin", "ReduceMean", "ReduceProd", "ArgMax",
                                       "ArgMin"}));
  const Node& op = *spec.op;
  if (op.op_type() == "ArgMax" || op.op_type() == "ArgMin") return arg_reduce_plan(spec);
  const ReduceOpInfo& info = reduce_ops().at(op.op_type());
  const TensorDesc& x = *spec.inputs[0];
  if (info.integers) KILN_RETURN_IF_ERROR(check_dtype(x.dtype, kNumericTypes, op.op_type()));
  else KILN_RETURN_IF_ERROR(check_dtype(x.dtype, kFloatTypes, op.op_type()));
  const bool axes_given = spec.has_input(1);
  if (axes_given && spec.inputs[1]->host_constant == nullptr) return unsupported("input 'axes' is not a constant");
  KILN_ASSIGN_OR_RETURN(ReduceAxes axes, resolve_reduce_axes(op, static_cast<int>(x.dims.size()), axes_given,
                                                             axes_given ? spec.inputs[1]->host_constant : nullptr));
  ReducePlan plan;
  plan.dtype = x.dtype;
  if (axes.noop) {
    plan.mode = ReducePlan::Mode::kCopy;
    plan.copy_bytes = static_cast<size_t>(x.numel()) * data_type_size(x.dtype);
    plan.name = fmt::format("kiln_reduce_copy_{}", dtype_tag(x.dtype));
    return plan;
  }
  plan.kind = info.kind;
  KILN_ASSIGN_OR_RETURN(plan.layout, make_group_layout(x.dims, axes.reduced));
  if (spec.outputs[0].numel() != plan.layout.groups)
    return invalid_argument("output has {} elements, the reduction makes {}", spec.outputs[0].numel(), plan.layout.groups);
  plan.name = fmt::format("kiln_reduce_{}_{}", info.tag, dtype_tag(x.dtype));
  return plan;
}

}  // namespace

const TacticProvider* reduce_provider() {
  static const PlanProvider<ReducePlan> provider("kiln_reduce", make_reduce_plan);
  return &provider;
}

}  // namespace kiln::cuda::reduce
