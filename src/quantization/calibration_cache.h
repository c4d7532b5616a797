// The INT8/FP8 calibration cache: the activation scales of a calibration, so later builds skip
// it. A text file:
//   kiln-int8-calibration method=entropy kiln=0.1.0     (kiln-fp8-calibration for FP8 scales)
//   conv1_out: 0.0123456791
//   ...
// one line per tensor, `name: scale`, the scale with 9 significant digits, which reads back as
// the same float: a build from the cache inserts bit-identical scales.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kiln/kiln.h"

namespace kiln {

// The header line for a configuration (the quantized type, the method with its percentile, and
// Kiln's version): an FP8 build refuses an INT8 cache (its scales are threshold / 127, not / 448).
std::string calibration_cache_header(const CalibrationConfig& config, DataType type = DataType::kInt8);

// Writes the scales in the order given (through a temporary file, so no partial cache is left).
Status write_calibration_cache(const std::string& path, const std::string& header,
                               const std::vector<std::pair<std::string, float>>& scales);

// Reads a cache written for `header` (another header is an error naming both).
Expected<std::map<std::string, float>> read_calibration_cache(const std::string& path, const std::string& header);

}  // namespace kiln
