#include "quantization/calibrator.h"

#include <cmath>

#include "core/error.h"

namespace kiln {

const char* calibration_method_name(CalibrationMethod method) {
  switch (method) {
    case CalibrationMethod::kEntropy: return "entropy";
    case CalibrationMethod::kMinMax: return "minmax";
    case CalibrationMethod::kPercentile: return "percentile";
    case CalibrationMethod::kMse: return "mse";
  }
  return "?";
}

Expected<CalibrationMethod> parse_calibration_method(const std::string& name) {
  for (CalibrationMethod m : {CalibrationMethod::kEntropy, CalibrationMethod::kMinMax, CalibrationMethod::kPercentile,
                              CalibrationMethod::kMse})
    if (name == calibration_method_name(m)) return m;
  return invalid_argument("unknown calibration method '{}' (entropy, minmax, percentile or mse)", name);
}

float minmax_threshold(const AbsHistogram& h) { return h.amax(); }

float percentile_threshold(const AbsHistogram& h, double percentile) {
  const double wanted = std::ceil(percentile / 100.0 * static_cast<double>(h.count()));
  double seen = static_cast<double>(h.zeros());
  if (seen >= wanted) return 0.f;
  for (size_t i = 0; i < h.bins().size(); ++i) {
    seen += static_cast<double>(h.bins()[i]);
    if (seen >= wanted) return std::min(h.amax(), static_cast<float>(static_cast<double>(i + 1) * h.bin_width()));
  }
  return h.amax();
}

float choose_threshold(const AbsHistogram& h, CalibrationMethod method, double percentile) {
  float t = 0.f;
  switch (method) {
    case CalibrationMethod::kEntropy: t = entropy_threshold(h); break;
    case CalibrationMethod::kMinMax: t = minmax_threshold(h); break;
    case CalibrationMethod::kPercentile: t = percentile_threshold(h, percentile); break;
    case CalibrationMethod::kMse: t = mse_threshold(h); break;
  }
  if (t > 0.f && std::isfinite(t)) return t;
  // A percentile that falls among the zeros: keep the values that are not zero representable.
  return h.amax() > 0.f ? h.amax() : 1.f;
}

}  // namespace kiln
