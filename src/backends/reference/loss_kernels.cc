// Reference kernels of NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (which is
// LogSoftmax over the class axis followed by the same negative log-likelihood).
#include "backends/reference/kernel.h"
#include "backends/reference/softmax_along.h"
#include "core/dispatch.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

// Loss of log-probabilities [N, C, D] (D: the trailing dims flattened) against labels [N, D]:
// -log_prob[n, label, d] * weight[label], 0 for ignore_index. 'mean' divides by the summed
// weights of the elements that count, as PyTorch does.
template <class T, class Label>
Status negative_log_likelihood(const KernelContext& ctx, const T* log_prob, const Label* labels, int64_t batch,
                               int64_t classes, int64_t inner, Tensor& out) {
  const bool has_ignore = ctx.node().has_attr("ignore_index");
  const int64_t ignore = ctx.node().attr_int("ignore_index");
  std::vector<double> weights;
  if (ctx.has_input(2)) {
    if (ctx.input(2).numel() != classes)
      return invalid_argument("weights have {} elements, expected {} (classes)", ctx.input(2).numel(), classes);
    KILN_ASSIGN_OR_RETURN(weights, tensor_to_doubles(ctx.input(2)));
  }
  const std::string reduction = ctx.node().attr_string("reduction", "mean");
  double loss_sum = 0, weight_sum = 0;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t d = 0; d < inner; ++d) {
      const int64_t i = n * inner + d;
      const int64_t label = static_cast<int64_t>(labels[i]);
      double loss = 0, weight = 0;
      if (!(has_ignore && label == ignore)) {
        if (label < 0 || label >= classes)
          return out_of_range("label {} at element {} is outside [0, {})", label, i, classes);
        weight = weights.empty() ? 1.0 : weights[static_cast<size_t>(label)];
        loss = -static_cast<double>(log_prob[(n * classes + label) * inner + d]) * weight;
      }
      if (reduction == "none") out.data<T>()[i] = static_cast<T>(loss);
      loss_sum += loss;
      weight_sum += weight;
    }
  }
  if (reduction == "sum") out.data<T>()[0] = static_cast<T>(loss_sum);
  if (reduction == "mean") out.data<T>()[0] = static_cast<T>(loss_sum / weight_sum);
  return Status::Ok();
}

// Dispatches on the scores' and labels' types; `log_prob_of` gives the log-probabilities for
// the scores' type.
template <class LogProbOf>
Status loss_kernel(KernelContext& ctx, LogProbOf log_prob_of) {
  const Tensor& scores = ctx.input(0);
  const Tensor& labels = ctx.input(1);
  const int64_t batch = scores.dim(0), classes = scores.dim(1);
  const int64_t inner = classes == 0 ? 0 : scores.numel() / (batch * classes);
  if (labels.numel() != batch * inner)
    return invalid_argument("labels have {} elements, expected {}", labels.numel(), batch * inner);
  return KILN_DISPATCH_FLOAT(scores.dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    const T* log_prob = log_prob_of(T{}, batch, classes, inner);
    if (labels.dtype() == DataType::kInt32)
      return negative_log_likelihood(ctx, log_prob, labels.data<int32_t>(), batch, classes, inner, ctx.output(0));
    return negative_log_likelihood(ctx, log_prob, labels.data<int64_t>(), batch, classes, inner, ctx.output(0));
  });
}

Status nll_loss(KernelContext& ctx) {
  return loss_kernel(ctx, [&](auto tag, int64_t, int64_t, int64_t) { return ctx.input(0).data<decltype(tag)>(); });
}

Status softmax_cross_entropy_loss(KernelContext& ctx) {
  // log_prob goes to the optional second output, or to scratch memory.
  const bool log_prob_wanted = ctx.num_outputs() > 1 && ctx.node().output(1) != nullptr;
  Tensor log_prob = log_prob_wanted ? ctx.output(1) : Tensor(ctx.input(0).dtype(), ctx.input(0).dims());
  return loss_kernel(ctx, [&](auto tag, int64_t batch, int64_t classes, int64_t inner) {
    using T = decltype(tag);
    softmax_along(SoftmaxKind::kLogSoftmax, ctx.input(0).data<T>(), log_prob.data<T>(), batch, classes, inner);
    return static_cast<const T*>(log_prob.data<T>());
  });
}

}  // namespace

void register_loss_kernels(KernelRegistry& r) {
  r.add("NegativeLogLikelihoodLoss", nll_loss);
  r.add("SoftmaxCrossEntropyLoss", softmax_cross_entropy_loss);
}

}  // namespace kiln
