// Engine <-> plan file: Engine::save and Runtime::deserialize.
#include "core/error.h"
#include "kiln/kiln.h"
#include "plan/plan.h"
#include "plugin/plugin_node.h"
#include "runtime/cpu_engine.h"
#include "runtime/cuda_backend.h"

namespace kiln {

Expected<std::vector<uint8_t>> Engine::serialize() const {
  return unsupported("this engine cannot be serialized");
}

Status Engine::save(const std::string& path) const {
  KILN_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, serialize());
  return write_plan_file(bytes, path);
}

namespace {

Expected<std::unique_ptr<Engine>> engine_from_plan(Expected<LoadedPlan> plan, DeviceKind device) {
  if (!plan.ok()) return plan.status();
  // Plans record plugin layers by identity; reading one needs no plugin, running it does.
  KILN_RETURN_IF_ERROR(check_plugins_registered(*plan->graph));
  if (device == DeviceKind::kCuda && plan->info.target.backend != "cuda")
    return unsupported("plan was built for backend '{}' but this runtime is 'cuda'", plan->info.target.backend);
  if (plan->info.target.backend == "cuda") return load_cuda_engine(std::move(*plan));
  return build_cpu_engine(std::move(plan->graph), std::move(plan->info));
}

// CUDA plans are checked against this machine's GPU by load_cuda_engine.
std::optional<PlanTarget> expected_target(DeviceKind device) {
  if (device == DeviceKind::kCpu) return PlanTarget::cpu();
  return std::nullopt;
}

}  // namespace

Expected<std::unique_ptr<Engine>> Runtime::deserialize(const std::string& path) const {
  return engine_from_plan(read_plan(path, expected_target(device_)), device_);
}

Expected<std::unique_ptr<Engine>> Runtime::deserialize(const void* data, size_t size) const {
  return engine_from_plan(read_plan(data, size, expected_target(device_)), device_);
}

}  // namespace kiln
