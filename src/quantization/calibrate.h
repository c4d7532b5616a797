// INT8 and FP8 (E4M3) post-training quantization of an optimized FP32 graph (the builder's step between the
// optimization passes and lowering): activation scales from the calibration cache, or by running
// the graph on the reference executor over the calibration data and asking a calibrator
// (calibrator.h), then Q/DQ insertion (insert_qdq.h).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ir/graph.h"
#include "kiln/kiln.h"
#include "quantization/calibration_data.h"
#include "quantization/histogram.h"

namespace kiln {

using BuildLog = std::function<void(const std::string& line)>;

// The graph's inputs as calibration (and evaluation) data must fill them.
std::vector<CalibrationInput> calibration_inputs(const Graph& graph);

// A per-tensor scale for each tensor to quantize (values of the graph being quantized).
using ActivationScales = std::vector<std::pair<const Value*, float>>;
// Picks which of the calibrated scales are applied (an accuracy budget keeps some tensors float),
// adding lines to `report`.
using ScaleSelection = std::function<Expected<ActivationScales>(const ActivationScales& calibrated, std::string& report)>;

// Runs `graph` on every calibration batch and histograms each of `tensors` (in that order).
// Progress goes to `log` (may be empty) as "\r"-lines.
Expected<std::vector<AbsHistogram>> observe_tensors(const Graph& graph, const std::vector<const Value*>& tensors,
                                                    const CalibrationConfig& config, const BuildLog& log);

// Quantizes `graph` in place to `type` (int8 or float8e4m3): each activation's scale is the
// calibrator's threshold / quantized_type_max(type) (127 or 448); the calibrators pick the same
// threshold either way. Only the scales `select` picks are applied (all of them when it is
// empty: the accuracy budget's hook). Returns lines for the build report.
Expected<std::string> quantize_calibrated(Graph& graph, DataType type, const CalibrationConfig& config,
                                          const BuildLog& log, const ScaleSelection& select = {});

}  // namespace kiln
