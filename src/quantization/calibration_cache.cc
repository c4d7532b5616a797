#include "quantization/calibration_cache.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/quantized_type.h"
#include "quantization/calibrator.h"

namespace kiln {

std::string calibration_cache_header(const CalibrationConfig& config, DataType type) {
  std::string method = calibration_method_name(config.method);
  if (config.method == CalibrationMethod::kPercentile) method += fmt::format("({:.9g})", config.percentile);
  return fmt::format("kiln-{}-calibration method={} kiln={}", quantized_type_tag(type), method, KILN_VERSION);
}

Status write_calibration_cache(const std::string& path, const std::string& header,
                               const std::vector<std::pair<std::string, float>>& scales) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    if (!out) return io_error("cannot write calibration cache '{}'", temporary);
    out << header << "\n";
    for (const auto& [name, scale] : scales) {
      if (name.find_first_of("\r\n") != std::string::npos)
        return unsupported("tensor name '{}' has a line break: it cannot go into a calibration cache", name);
      out << fmt::format("{}: {:.9g}\n", name, scale);
    }
    if (!out.flush()) return io_error("cannot write calibration cache '{}'", temporary);
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) return io_error("cannot write calibration cache '{}': {}", path, ec.message());
  return Status::Ok();
}

Expected<std::map<std::string, float>> read_calibration_cache(const std::string& path, const std::string& header) {
  std::ifstream in(path);
  if (!in) return io_error("cannot read calibration cache '{}'", path);
  std::string line;
  if (!std::getline(in, line) || line != header)
    return invalid_argument("calibration cache '{}' was written as '{}'; this build needs '{}' (delete the file to "
                            "calibrate again)",
                            path, line, header);
  std::map<std::string, float> scales;
  for (int number = 2; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    const auto colon = line.rfind(": ");
    char* end = nullptr;
    const float scale = colon == std::string::npos ? 0.f : std::strtof(line.c_str() + colon + 2, &end);
    if (colon == std::string::npos || end == line.c_str() + colon + 2 || *end != '\0' || !(scale > 0.f) ||
        !std::isfinite(scale))
      return invalid_argument("calibration cache '{}' line {}: expected 'tensor: scale' with a positive scale, got '{}'",
                              path, number, line);
    if (!scales.emplace(line.substr(0, colon), scale).second)
      return invalid_argument("calibration cache '{}' line {}: tensor '{}' appears twice", path, number,
                              line.substr(0, colon));
  }
  return scales;
}

}  // namespace kiln
