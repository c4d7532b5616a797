#include "core/error.h"
#include "kiln/kiln.h"
#include "runtime/cpu_engine.h"

namespace kiln {

Expected<std::unique_ptr<Engine>> Builder::build(const Network& network) const {
  switch (config_.device) {
    case DeviceKind::kCpu: return build_cpu_engine(network.shared_graph());
    case DeviceKind::kCuda: return unsupported("the CUDA backend is not available in this build yet");
  }
  return invalid_argument("unknown device kind");
}

}  // namespace kiln
