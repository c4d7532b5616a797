// Schemas of the loss ops: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.
#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

// Both ops take [N, C, d...] scores, [N, d...] class labels and optional [C] class weights; the
// loss is per element ([N, d...]) with reduction 'none', else a scalar.
Status infer_loss(InferContext& ctx) {
  const Node& node = ctx.node();
  const std::string reduction = node.attr_string("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return invalid_argument("'reduction' must be none, sum or mean, got '{}'", reduction);
  const DataType t = ctx.input_type(0);
  if (!is_floating(t)) return invalid_argument("input 0 (scores) must be a floating type, got {}", data_type_name(t));
  const DataType label_type = ctx.input_type(1);
  if (label_type != DataType::kInt32 && label_type != DataType::kInt64)
    return invalid_argument("input 1 (labels) must be int32 or int64, got {}", data_type_name(label_type));
  if (ctx.has_input(2) && ctx.input_type(2) != t)
    return invalid_argument("input 2 (weights) must have the scores' type {}, got {}", data_type_name(t),
                            data_type_name(ctx.input_type(2)));
  const Shape& scores = ctx.input_shape(0);
  const Shape& labels = ctx.input_shape(1);
  if (scores.rank_known() && scores.rank() < 2)
    return invalid_argument("input 0 (scores) must be [N, C, ...], got shape {}", scores.to_string());
  if (scores.rank_known() && labels.rank_known()) {
    bool match = labels.rank() == scores.rank() - 1;
    for (int i = 0; match && i < labels.rank(); ++i) {
      const Dim& s = scores[i == 0 ? 0 : i + 1];
      match = !(s.is_static() && labels[i].is_static() && s.value != labels[i].value);
    }
    if (!match)
      return invalid_argument("labels of shape {} do not match scores of shape {} (expected [N, d...] of [N, C, d...])",
                              labels.to_string(), scores.to_string());
  }
  if (ctx.has_input(2)) {
    const Shape& w = ctx.input_shape(2);
    if (w.rank_known() && (w.rank() != 1 || (scores.rank_known() && w[0].is_static() && scores[1].is_static() &&
                                              w[0].value != scores[1].value)))
      return invalid_argument("input 2 (weights) must be [C], got shape {}", w.to_string());
  }
  Shape loss = Shape(std::vector<Dim>{});
  if (reduction == "none") {
    if (labels.rank_known()) loss = labels;
    else if (scores.rank_known()) {
      std::vector<Dim> d = scores.dims();
      d.erase(d.begin() + 1);
      loss = Shape(d);
    } else {
      loss = Shape::unknown();
    }
  }
  ctx.set_output(0, t, loss);
  ctx.set_output(1, t, scores);  // SoftmaxCrossEntropyLoss's log_prob
  return Status::Ok();
}

}  // namespace

void register_loss_schemas(OpRegistry& r) {
  r.add(OpSchema("NegativeLogLikelihoodLoss")
            .inputs(2, 3)
            .attr("ignore_index", AttrType::kInt)
            .attr("reduction", Attribute::of_string("mean"))
            .infer(infer_loss));
  r.add(OpSchema("SoftmaxCrossEntropyLoss")
            .inputs(2, 3)
            .outputs(1, 2)
            .attr("ignore_index", AttrType::kInt)
            .attr("reduction", Attribute::of_string("mean"))
            .infer(infer_loss));
}

}  // namespace kiln
