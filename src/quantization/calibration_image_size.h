// The image size calibration resizes to when the user gave none: an input with a dynamic height
// or width takes it from the first optimization profile's opt shape (the shape the engine is
// tuned for, so calibration sees the statistics of the images it will run), as `--calib-resize`
// would.
#pragma once

#include <vector>

#include "ir/graph.h"
#include "kiln/kiln.h"

namespace kiln {

// `config` with `resize` set to {H, W} of profile 0's opt shape for the first rank-4 input whose
// H or W (per config.layout) is dynamic, when `resize` is empty and that profile names the input;
// otherwise `config` unchanged.
CalibrationConfig with_profile_image_size(const CalibrationConfig& config, const Graph& graph,
                                          const std::vector<OptimizationProfile>& profiles);

}  // namespace kiln
