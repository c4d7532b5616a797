// INT8 within an accuracy budget: which calibrated activations stay float so that the quantized
// graph's output 0 stays within AccuracyBudgetConfig::budget of the float graph's on evaluation
// data (docs/architecture.md, "Accuracy budget").
//
// Every measurement runs the graph as the build would make it (`quantize`: Q/DQ insertion and
// fusion, on a copy) on the reference executor, and compares output 0 with the float graph's.
// Greedy: the drop with every activation quantized; if over budget, each activation's drop with
// only it quantized (its sensitivity); then, most sensitive first, activations go back to float,
// re-measuring after each (drops are not additive), until the drop is within budget. Nothing
// here depends on the quantized type: the scales and the quantize step carry it.
#pragma once

#include <functional>
#include <string>

#include "ir/graph.h"
#include "kiln/kiln.h"
#include "quantization/calibrate.h"

namespace kiln {

// Quantizes `graph` in place with `scales` (values of `graph`), as the build does.
using QuantizeStep = std::function<Status(Graph& graph, const ActivationScales& scales)>;

// The subset of `calibrated` (values of `graph`, the optimized float graph) to quantize. Lines
// for the build report go to `report` (the tensors kept float with their sensitivities, the
// final drop), and also to `log`, with "\r" progress lines. `data` supplies the preprocessing
// settings for the evaluation files.
Expected<ActivationScales> fit_accuracy_budget(const Graph& graph, const ActivationScales& calibrated,
                                               const QuantizeStep& quantize, const AccuracyBudgetConfig& budget,
                                               const CalibrationConfig& data, const BuildLog& log,
                                               std::string& report);

}  // namespace kiln
