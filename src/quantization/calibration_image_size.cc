#include "quantization/calibration_image_size.h"

namespace kiln {

CalibrationConfig with_profile_image_size(const CalibrationConfig& config, const Graph& graph,
                                          const std::vector<OptimizationProfile>& profiles) {
  if (!config.resize.empty() || profiles.empty()) return config;
  const bool nchw = config.layout == ImageLayout::kNCHW;
  const size_t h_axis = nchw ? 2 : 1, w_axis = nchw ? 3 : 2;
  for (const Value* input : graph.inputs()) {
    const std::vector<Dim>& dims = input->shape().dims();
    if (dims.size() != 4 || (dims[h_axis].is_static() && dims[w_axis].is_static())) continue;
    auto range = profiles.front().inputs.find(input->name());
    if (range == profiles.front().inputs.end() || range->second.opt.size() != 4) return config;
    CalibrationConfig sized = config;
    sized.resize = {range->second.opt[h_axis], range->second.opt[w_axis]};
    return sized;
  }
  return config;
}

}  // namespace kiln
