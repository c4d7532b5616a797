// Softmax, LogSoftmax and Hardmax: each row (one axis from opset 13, every axis from 'axis' on
// before) is a group of the reduction core.
#include <cctype>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/reduce/group_layout.h"
#include "backends/cuda/kernels/reduce/launchers.h"
#include "backends/cuda/kernels/reduce/plan_provider.h"
#include "backends/cuda/kernels/reduce/providers.h"
#include "ir/ops/softmax_axis.h"

namespace kiln::cuda::reduce {

namespace {

struct SoftmaxPlan {
  SoftmaxKind kind = SoftmaxKind::kSoftmax;
  DataType dtype = DataType::kUndefined;
  GroupLayout layout;
  std::string name;

  std::string tactic_name() const { return name; }
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& in, const std::vector<void*>& out) const {
    KILN_CUDA_CHECK(launch_softmax(kind, dtype, layout, in[0], out[0], env.stream));
    return Status::Ok();
  }
};

Expected<SoftmaxPlan> make_softmax_plan(const LayerSpec& spec) {
  KILN_RETURN_IF_ERROR(check_op(spec, {"Softmax", "LogSoftmax", "Hardmax"}));
  const Node& op = *spec.op;
  const TensorDesc& x = *spec.inputs[0];
  KILN_RETURN_IF_ERROR(check_dtype(x.dtype, kFloatTypes, op.op_type()));
  const int rank = static_cast<int>(x.dims.size());
  KILN_ASSIGN_OR_RETURN(int axis, softmax_axis(op, rank));
  // Before opset 13 the input is coerced to 2-D at the axis: every axis from it on is the row.
  std::vector<bool> reduced(x.dims.size(), false);
  for (int i = axis; i < (op.opset() < 13 ? rank : axis + 1); ++i) reduced[static_cast<size_t>(i)] = true;
  SoftmaxPlan plan;
  plan.kind = op.op_type() == "Softmax"      ? SoftmaxKind::kSoftmax
              : op.op_type() == "LogSoftmax" ? SoftmaxKind::kLogSoftmax
                                             : SoftmaxKind::kHardmax;
  plan.dtype = x.dtype;
  KILN_ASSIGN_OR_RETURN(plan.layout, make_group_layout(x.dims, reduced));
  std::string op_tag = op.op_type();
  for (char& c : op_tag) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  plan.name = fmt::format("kiln_{}_{}_{}", op_tag, plan.layout.kept_innermost ? "strided" : "lastaxis", dtype_tag(x.dtype));
  return plan;
}

}  // namespace

const TacticProvider* softmax_provider() {
  static const PlanProvider<SoftmaxPlan> provider("kiln_softmax", make_softmax_plan);
  return &provider;
}

}  // namespace kiln::cuda::reduce
