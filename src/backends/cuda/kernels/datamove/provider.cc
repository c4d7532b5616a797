#include "backends/cuda/kernels/datamove/provider.h"

#include <fmt/ranges.h>

#include <algorithm>

#include "backends/cuda/kernels/datamove/view_utils.h"

namespace kiln::cuda::datamove {

Status DataMovementProvider::supports(const LayerSpec& spec) const {
  const Node& op = *spec.op;
  if (!op.domain().empty() || std::find(op_types_.begin(), op_types_.end(), op.op_type()) == op_types_.end())
    return unsupported("{} runs {}, not {}", name_, fmt::join(op_types_, "/"), op.op_type());
  if (spec.channels_last) return unsupported("{} does not run channels-last layers", name_);
  if (!spec.has_input(0) || spec.outputs.empty()) return unsupported("{} needs its first input and an output", op.op_type());
  for (size_t i = 0; i < spec.outputs.size(); ++i) {
    if (spec.outputs[i].dtype == DataType::kUndefined) continue;  // an unused optional output
    KILN_RETURN_IF_ERROR(check_payload(spec.outputs[i].dtype, fmt::format("output {}", i)));
  }
  return check(spec);
}

Expected<std::vector<Tactic>> DataMovementProvider::tactics(const LayerSpec& spec, const DeviceContext&) const {
  KILN_RETURN_IF_ERROR(supports(spec));
  std::vector<Tactic> tactics;
  for (std::string& name : tactic_names(spec)) tactics.push_back({std::move(name), static_cast<int64_t>(tactics.size())});
  return tactics;
}

Expected<std::unique_ptr<LayerKernel>> DataMovementProvider::create(const LayerSpec& spec, const Tactic& tactic,
                                                                    const DeviceContext&) const {
  KILN_RETURN_IF_ERROR(supports(spec));
  const std::vector<std::string> names = tactic_names(spec);
  if (tactic.id < 0 || tactic.id >= static_cast<int64_t>(names.size()))
    return invalid_argument("{} has no tactic {} for this layer", name_, tactic.id);
  return make(spec, static_cast<size_t>(tactic.id));
}

}  // namespace kiln::cuda::datamove
