#include "quantization/accuracy_budget.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "backends/reference/executor.h"
#include "core/error.h"
#include "quantization/accuracy_metric.h"
#include "quantization/insert_qdq.h"

namespace kiln {

namespace {

// A "\r" progress line, padded: a shorter line must cover the longer one before it on a terminal.
void progress(const BuildLog& log, const std::string& line) {
  if (log) log(fmt::format("\r{:<60}", "accuracy budget: " + line));
}

// The evaluation batches and the float graph's output 0 on each: what every measurement compares
// against. Held in memory (cap it with AccuracyBudgetConfig::max_batches): each is run many times.
struct EvaluationSet {
  std::vector<std::vector<Tensor>> batches;
  std::vector<Tensor> reference;
  int64_t samples = 0;
};

Expected<EvaluationSet> read_evaluation_set(const Graph& graph, const AccuracyBudgetConfig& budget,
                                            const CalibrationConfig& data, const BuildLog& log) {
  // The calibration settings (preprocessing, batch size) with the evaluation folder.
  CalibrationConfig eval = data;
  eval.data_dir = budget.data_dir;
  eval.max_batches = budget.max_batches;
  auto opened = CalibrationData::open(eval, calibration_inputs(graph));
  if (!opened.ok()) return with_context(opened.status(), "evaluation data");
  CalibrationData& files = **opened;
  EvaluationSet set;
  for (;;) {
    auto batch = files.next();
    if (!batch.ok()) return with_context(batch.status(), "evaluation data");
    if (batch->empty()) break;
    progress(log, fmt::format("float outputs, batch {}{}", set.batches.size() + 1,
                              files.known_batches() > 0 ? fmt::format("/{}", files.known_batches()) : ""));
    auto outputs = run_reference(graph, *batch);
    if (!outputs.ok()) return with_context(outputs.status(), fmt::format("evaluation batch {}", set.batches.size() + 1));
    set.samples += (*batch)[0].dim(0);
    set.reference.push_back(std::move((*outputs)[0]));
    set.batches.push_back(std::move(*batch));
  }
  if (set.batches.empty())
    return invalid_argument("evaluation data in '{}' makes no full batch of {} sample(s)", budget.data_dir,
                            files.batch_size());
  return set;
}

// The drop of output 0 when the build quantizes `subset`, measured on a copy of the float graph.
class DropMeter {
 public:
  DropMeter(const Graph& graph, const EvaluationSet& set, const QuantizeStep& quantize, const AccuracyBudgetConfig& budget)
      : graph_(graph), set_(set), quantize_(quantize), budget_(budget) {}

  Expected<double> measure(const ActivationScales& subset) const {
    if (subset.empty()) return 0.0;  // the float graph itself
    std::unique_ptr<Graph> copy = graph_.clone();
    ActivationScales scales;
    for (const auto& [value, scale] : subset) scales.emplace_back(copy->find_value(value->name()), scale);
    KILN_RETURN_IF_ERROR(quantize_(*copy, scales));
    OutputDrop drop(budget_.metric, budget_.mask_threshold);
    for (size_t i = 0; i < set_.batches.size(); ++i) {
      auto outputs = run_reference(*copy, set_.batches[i]);
      if (!outputs.ok()) return with_context(outputs.status(), fmt::format("evaluation batch {}", i + 1));
      KILN_RETURN_IF_ERROR(drop.add(set_.reference[i], (*outputs)[0]));
    }
    return drop.drop();
  }

 private:
  const Graph& graph_;
  const EvaluationSet& set_;
  const QuantizeStep& quantize_;
  const AccuracyBudgetConfig& budget_;
};

// "'tensor' (read by layer, layer)": a quantized activation as the report names it.
std::string describe_activation(const Graph& graph, const Value* value) {
  std::vector<std::string> readers;
  const Uses uses(graph);
  for (const auto& n : graph.nodes())
    for (int slot : quantized_input_slots(*n, uses))
      if (n->input(slot) == value) readers.push_back(n->name());
  return fmt::format("'{}' (read by {})", value->name(), fmt::join(readers, ", "));
}

Status check_budget_config(const Graph& graph, const AccuracyBudgetConfig& budget) {
  if (budget.data_dir.empty()) return invalid_argument("an accuracy budget needs evaluation data (--eval DIR)");
  if (!std::isfinite(budget.budget)) return invalid_argument("the accuracy budget must be finite");
  if (budget.max_batches < 0) return invalid_argument("the evaluation batch limit must not be negative");
  if (budget.metric == AccuracyMetric::kMask && !std::isfinite(budget.mask_threshold))
    return invalid_argument("the mask threshold must be finite");
  if (graph.outputs().empty()) return invalid_argument("an accuracy budget needs a graph output to compare");
  const Value* out = graph.outputs()[0];
  if (out->dtype() != DataType::kFloat32)
    return unsupported("accuracy budget: output 0 '{}' is {}; the metrics compare float32 outputs", out->name(),
                       data_type_name(out->dtype()));
  return Status::Ok();
}

}  // namespace

Expected<ActivationScales> fit_accuracy_budget(const Graph& graph, const ActivationScales& calibrated,
                                               const QuantizeStep& quantize, const AccuracyBudgetConfig& budget,
                                               const CalibrationConfig& data, const BuildLog& log,
                                               std::string& report) {
  KILN_RETURN_IF_ERROR(check_budget_config(graph, budget));
  KILN_ASSIGN_OR_RETURN(EvaluationSet set, read_evaluation_set(graph, budget, data, log));
  const DropMeter meter(graph, set, quantize, budget);
  std::string lines = fmt::format("accuracy budget: {} drop <= {:.4g} on {} evaluation sample(s)\n",
                                  accuracy_metric_name(budget), budget.budget, set.samples);
  progress(log, fmt::format("measuring with all {} activation(s) quantized", calibrated.size()));
  KILN_ASSIGN_OR_RETURN(double drop, meter.measure(calibrated));
  lines += fmt::format("  drop {:.4g} with all {} activation(s) quantized\n", drop, calibrated.size());

  ActivationScales quantized = calibrated;
  if (drop > budget.budget) {
    std::vector<double> sensitivity(calibrated.size());
    for (size_t i = 0; i < calibrated.size(); ++i) {
      progress(log, fmt::format("sensitivity of activation {}/{}", i + 1, calibrated.size()));
      KILN_ASSIGN_OR_RETURN(sensitivity[i], meter.measure({calibrated[i]}));
    }
    std::vector<size_t> order(calibrated.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return sensitivity[a] > sensitivity[b]; });
    std::vector<bool> kept_float(calibrated.size(), false);
    for (size_t k = 0; k < order.size() && drop > budget.budget; ++k) {
      kept_float[order[k]] = true;
      quantized.clear();
      for (size_t i = 0; i < calibrated.size(); ++i)
        if (!kept_float[i]) quantized.push_back(calibrated[i]);
      progress(log, fmt::format("{} activation(s) float, measuring", k + 1));
      KILN_ASSIGN_OR_RETURN(drop, meter.measure(quantized));
      lines += fmt::format("  float: {}: sensitivity {:.4g}; drop then {:.4g}\n",
                           describe_activation(graph, calibrated[order[k]].first), sensitivity[order[k]], drop);
    }
  }
  if (quantized.empty() && !calibrated.empty())
    lines += "accuracy budget: no quantized activation meets it: the result is all float (drop 0)\n";
  else
    lines += fmt::format("accuracy budget: {} of {} activation(s) kept float; measured drop {:.4g} <= {:.4g}\n",
                         calibrated.size() - quantized.size(), calibrated.size(), drop, budget.budget);
  if (log) {
    log(fmt::format("\r{:<60}\n", "accuracy budget: done"));
    log(lines);
  }
  report += lines;
  return quantized;
}

}  // namespace kiln
