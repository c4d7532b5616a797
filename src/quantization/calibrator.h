// Calibrators: the clipping threshold of a tensor from the histogram of its |x|. The tensor's
// symmetric int8 scale is threshold / 127.
#pragma once

#include <string>

#include "kiln/kiln.h"
#include "quantization/histogram.h"

namespace kiln {

// "entropy", "minmax", "percentile", "mse" (the CLI's names).
const char* calibration_method_name(CalibrationMethod method);
Expected<CalibrationMethod> parse_calibration_method(const std::string& name);

// The threshold `method` chooses: positive and finite (a tensor that was always zero gets 1,
// as any scale represents it).
float choose_threshold(const AbsHistogram& h, CalibrationMethod method, double percentile);

// max |x|.
float minmax_threshold(const AbsHistogram& h);
// The upper edge of the bin where the share `percentile` (0-100] of all |x| (zeros included) is
// reached, at most max |x|.
float percentile_threshold(const AbsHistogram& h, double percentile);
// The bin edge whose quantization has the least expected squared error, rounding and clipping
// together (mse_calibrator.cc).
float mse_threshold(const AbsHistogram& h);
// The bin edge, from 128 bins up, whose quantized distribution diverges least (KL) from the
// observed one (entropy_calibrator.cc).
float entropy_threshold(const AbsHistogram& h);

}  // namespace kiln
