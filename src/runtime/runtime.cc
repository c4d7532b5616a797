// Engine <-> plan file: Engine::save and Runtime::deserialize.
#include "core/error.h"
#include "kiln/kiln.h"
#include "plan/plan.h"
#include "runtime/cpu_engine.h"

namespace kiln {

Expected<std::vector<uint8_t>> Engine::serialize() const {
  return unsupported("this engine cannot be serialized");
}

Status Engine::save(const std::string& path) const {
  KILN_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, serialize());
  return write_plan_file(bytes, path);
}

namespace {

Expected<std::unique_ptr<Engine>> engine_from_plan(Expected<LoadedPlan> plan) {
  if (!plan.ok()) return plan.status();
  return build_cpu_engine(std::move(plan->graph), std::move(plan->info));
}

}  // namespace

Expected<std::unique_ptr<Engine>> Runtime::deserialize(const std::string& path) const {
  if (device_ != DeviceKind::kCpu) return unsupported("the CUDA backend is not available in this build yet");
  return engine_from_plan(read_plan(path, PlanTarget::cpu()));
}

Expected<std::unique_ptr<Engine>> Runtime::deserialize(const void* data, size_t size) const {
  if (device_ != DeviceKind::kCpu) return unsupported("the CUDA backend is not available in this build yet");
  return engine_from_plan(read_plan(data, size, PlanTarget::cpu()));
}

}  // namespace kiln
