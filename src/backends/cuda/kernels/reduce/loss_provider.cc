// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss on [N, C, d...] scores: one tactic per
// op, dtype and label type (loss_kernels.cu).
#include <limits>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/reduce/group_layout.h"
#include "backends/cuda/kernels/reduce/loss_launchers.h"
#include "backends/cuda/kernels/reduce/plan_provider.h"
#include "backends/cuda/kernels/reduce/providers.h"

namespace kiln::cuda::reduce {

namespace {

struct LossPlan {
  bool softmax = false;  // SoftmaxCrossEntropyLoss (else NegativeLogLikelihoodLoss)
  bool log_prob = false;  // SoftmaxCrossEntropyLoss's optional second output is wanted
  bool has_weights = false;
  DataType dtype = DataType::kUndefined;
  LossArgs args;
  GroupLayout layout;  // the class axis of the scores, for the softmax
  std::string name;

  std::string tactic_name() const { return name; }
  size_t workspace_bytes() const { return loss_workspace_bytes(dtype, args); }
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& in, const std::vector<void*>& out) const {
    const void* weights = has_weights ? in[2] : nullptr;
    if (softmax) {
      KILN_CUDA_CHECK(launch_softmax_cross_entropy_loss(dtype, args, layout, in[0], in[1], weights, out[0],
                                                        log_prob ? out[1] : nullptr, env.workspace, env.stream));
    } else {
      KILN_CUDA_CHECK(launch_nll_loss(dtype, args, in[0], in[1], weights, out[0], env.workspace, env.stream));
    }
    return Status::Ok();
  }
};

Expected<LossReduction> reduction_of(const Node& op) {
  const std::string reduction = op.attr_string("reduction", "mean");
  if (reduction == "none") return LossReduction::kNone;
  if (reduction == "sum") return LossReduction::kSum;
  if (reduction == "mean") return LossReduction::kMean;
  return invalid_argument("'reduction' must be none, sum or mean, got '{}'", reduction);
}

Expected<LossPlan> make_loss_plan(const LayerSpec& spec) {
  KILN_RETURN_IF_ERROR(check_op(spec, {"NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"}));
  const Node& op = *spec.op;
  const TensorDesc& scores = *spec.inputs[0];
  KILN_RETURN_IF_ERROR(check_dtype(scores.dtype, kFloatTypes, op.op_type()));
  if (scores.dims.size() < 2) return invalid_argument("scores of rank {} (expected [N, C, d...])", scores.dims.size());
  if (!spec.has_input(1)) return invalid_argument("{} without its labels", op.op_type());
  const TensorDesc& labels = *spec.inputs[1];
  KILN_RETURN_IF_ERROR(check_dtype(labels.dtype, {DataType::kInt32, DataType::kInt64}, "labels"));
  if (scores.numel() > std::numeric_limits<int32_t>::max())
    return unsupported("{} elements (32-bit indexing)", scores.numel());
  const int64_t batch = scores.dims[0], classes = scores.dims[1];
  if (classes == 0) return unsupported("{} without classes", op.op_type());
  const int64_t inner = batch == 0 ? 0 : scores.numel() / (batch * classes);
  if (labels.numel() != batch * inner)
    return invalid_argument("labels have {} elements, expected {}", labels.numel(), batch * inner);

  LossPlan plan;
  plan.softmax = op.op_type() == "SoftmaxCrossEntropyLoss";
  plan.log_prob = plan.softmax && spec.outputs.size() > 1;
  plan.has_weights = spec.has_input(2);
  if (plan.has_weights) {
    const TensorDesc& weights = *spec.inputs[2];
    if (weights.dtype != scores.dtype)
      return invalid_argument("weights of type {} for scores of type {}", data_type_name(weights.dtype),
                              data_type_name(scores.dtype));
    if (weights.numel() != classes)
      return invalid_argument("weights have {} elements, expected {} (classes)", weights.numel(), classes);
  }
  plan.dtype = scores.dtype;
  plan.args.batch = static_cast<uint32_t>(batch);
  plan.args.classes = static_cast<uint32_t>(classes);
  plan.args.inner = static_cast<uint32_t>(inner);
  plan.args.label_dtype = labels.dtype;
  plan.args.has_ignore = op.has_attr("ignore_index");
  plan.args.ignore_index = plan.args.has_ignore ? op.attr_int("ignore_index") : 0;
  KILN_ASSIGN_OR_RETURN(plan.args.reduction, reduction_of(op));
  if (plan.softmax) {
    KILN_ASSIGN_OR_RETURN(plan.layout, make_axis_layout(scores.dims, 1));
  }
  plan.name = fmt::format("kiln_{}_{}_{}", plan.softmax ? "softmax_cross_entropy" : "nll_loss", dtype_tag(scores.dtype),
                          dtype_tag(labels.dtype));
  return plan;
}

}  // namespace

const TacticProvider* loss_provider() {
  static const PlanProvider<LossPlan> provider("kiln_loss", make_loss_plan);
  return &provider;
}

}  // namespace kiln::cuda::reduce
