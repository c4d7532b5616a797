// The metrics of an accuracy budget (AccuracyMetric in kiln.h): how far a quantized graph's
// output 0 is from the float graph's, accumulated over evaluation batches, and their text forms
// (`--eval-metric top1 | mask:T | rel-l2`, `--accuracy-budget 0.5% | 0.005`).
#pragma once

#include <string>

#include "core/tensor.h"
#include "kiln/kiln.h"

namespace kiln {

class OutputDrop {
 public:
  OutputDrop(AccuracyMetric metric, float mask_threshold) : metric_(metric), threshold_(mask_threshold) {}
  // One batch: the float graph's output and the quantized graph's (float32, equal dims).
  Status add(const Tensor& reference, const Tensor& quantized);
  // The metric over every batch added: 0 when the outputs agree.
  double drop() const;

 private:
  AccuracyMetric metric_;
  float threshold_;
  // top1: rows whose argmax differs, rows; mask: both positive, quantized positive, reference
  // positive; rel-l2: sum of squared differences, sum of squared reference values.
  double a_ = 0, b_ = 0, c_ = 0;
};

// Sets config.metric (and mask_threshold) from "top1", "mask:T" or "rel-l2".
Status parse_accuracy_metric(const std::string& text, AccuracyBudgetConfig& config);
// The text form parse_accuracy_metric reads.
std::string accuracy_metric_name(const AccuracyBudgetConfig& config);
// A budget as a fraction: "0.5%" is 0.005, as is "0.005". Not negative.
Expected<double> parse_accuracy_budget(const std::string& text);

}  // namespace kiln
