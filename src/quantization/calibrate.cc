#include "quantization/calibrate.h"

#include <fmt/format.h>

#include <filesystem>

#include "backends/reference/executor.h"
#include "core/error.h"
#include "core/quantized_type.h"
#include "quantization/calibration_cache.h"
#include "quantization/calibration_data.h"
#include "quantization/calibrator.h"
#include "quantization/insert_qdq.h"

namespace kiln {

std::vector<CalibrationInput> calibration_inputs(const Graph& graph) {
  std::vector<CalibrationInput> inputs;
  for (const Value* v : graph.inputs()) {
    CalibrationInput in{v->name(), v->dtype(), {}};
    for (const Dim& d : v->shape().dims()) in.dims.push_back(d.is_static() ? d.value : -1);
    inputs.push_back(std::move(in));
  }
  return inputs;
}

namespace {

// Scales read from the cache, for exactly the tensors the graph quantizes. A pool's input
// (quantized_for_pool) that the cache lacks stays float, named in `float_pool_inputs`: caches
// made before Kiln quantized those keep working. Any other tensor missing is an error.
Expected<ActivationScales> scales_from_cache(const Graph& graph, const std::vector<const Value*>& tensors,
                                             DataType type, const CalibrationConfig& config,
                                             std::vector<std::string>& float_pool_inputs) {
  KILN_ASSIGN_OR_RETURN(auto cached, read_calibration_cache(config.cache_path, calibration_cache_header(config, type)));
  ActivationScales scales;
  for (const Value* v : tensors) {
    auto it = cached.find(v->name());
    if (it == cached.end() && quantized_for_pool(graph, v, type)) {
      float_pool_inputs.push_back(v->name());
      continue;
    }
    if (it == cached.end())
      return not_found("calibration cache '{}' has no scale for tensor '{}' (made for another model or optimization "
                       "level? delete it to calibrate again)",
                       config.cache_path, v->name());
    scales.emplace_back(v, it->second);
  }
  return scales;
}

}  // namespace

Expected<std::vector<AbsHistogram>> observe_tensors(const Graph& graph, const std::vector<const Value*>& tensors,
                                                    const CalibrationConfig& config, const BuildLog& log) {
  // A copy whose outputs are the observed tensors: the executor hands them back after each run.
  std::unique_ptr<Graph> observed = graph.clone();
  observed->outputs().clear();
  for (const Value* v : tensors) observed->outputs().push_back(observed->find_value(v->name()));
  KILN_ASSIGN_OR_RETURN(auto data, CalibrationData::open(config, calibration_inputs(graph)));
  std::vector<AbsHistogram> histograms(tensors.size());
  int64_t batches = 0;
  for (;;) {
    KILN_ASSIGN_OR_RETURN(std::vector<Tensor> batch, data->next());
    if (batch.empty()) break;
    ++batches;
    if (log)
      log(data->known_batches() > 0 ? fmt::format("\rcalibrating: batch {}/{}", batches, data->known_batches())
                                    : fmt::format("\rcalibrating: batch {}", batches));
    auto outputs = run_reference(*observed, batch);
    if (!outputs.ok()) return with_context(outputs.status(), fmt::format("calibration batch {}", batches));
    for (size_t i = 0; i < tensors.size(); ++i)
      histograms[i].add((*outputs)[i].data<float>(), (*outputs)[i].numel());
  }
  if (batches == 0)
    return invalid_argument("calibration data in '{}' makes no full batch of {} sample(s)", config.data_dir,
                            data->batch_size());
  if (log) log(fmt::format("\rcalibrated {} tensors on {} batch(es) of {}\n", tensors.size(), batches, data->batch_size()));
  return histograms;
}

Expected<std::string> quantize_calibrated(Graph& graph, DataType type, const CalibrationConfig& config,
                                          const BuildLog& log, const ScaleSelection& select) {
  if (!is_symmetric_quantized_type(type))
    return internal_error("calibration quantizes to int8 or float8e4m3, not {}", data_type_name(type));
  if (config.method == CalibrationMethod::kPercentile && !(config.percentile > 0 && config.percentile <= 100))
    return invalid_argument("the calibration percentile must be in (0, 100], got {}", config.percentile);
  const std::vector<const Value*> tensors = quantized_activations(graph, type);
  ActivationScales scales;
  std::error_code ec;
  const bool cached = !config.cache_path.empty() && std::filesystem::exists(config.cache_path, ec);
  std::string cache_report;
  if (cached) {
    std::vector<std::string> float_pool_inputs;
    KILN_ASSIGN_OR_RETURN(scales, scales_from_cache(graph, tensors, type, config, float_pool_inputs));
    for (const std::string& name : float_pool_inputs)
      cache_report += fmt::format("{}: calibration cache {} has no scale for '{}' (a global pool's input): it stays "
                                  "float; delete the cache to calibrate it\n",
                                  quantized_type_tag(type), config.cache_path, name);
    if (log && !cache_report.empty()) log(cache_report);
  } else if (!tensors.empty()) {
    KILN_ASSIGN_OR_RETURN(auto histograms, observe_tensors(graph, tensors, config, log));
    for (size_t i = 0; i < tensors.size(); ++i)
      scales.emplace_back(tensors[i], choose_threshold(histograms[i], config.method, config.percentile) /
                                         quantized_type_max(type));
    if (!config.cache_path.empty()) {
      std::vector<std::pair<std::string, float>> named;
      for (const auto& [v, s] : scales) named.emplace_back(v->name(), s);
      KILN_RETURN_IF_ERROR(write_calibration_cache(config.cache_path, calibration_cache_header(config, type), named));
    }
  }
  std::string selection_report;
  if (select) {
    KILN_ASSIGN_OR_RETURN(scales, select(scales, selection_report));
  }
  KILN_ASSIGN_OR_RETURN(int pairs, insert_qdq(graph, scales, type));
  return fmt::format("{}: {} activation tensor(s) quantized, scales {} ({})\n", quantized_type_tag(type), pairs,
                     cached ? "from the cache " + config.cache_path : std::string("calibrated"),
                     calibration_method_name(config.method)) +
         cache_report + selection_report;
}

}  // namespace kiln
