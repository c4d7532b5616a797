// The CUDA engine: the lowered graph, each layer's chosen tactic, and the weights on the device.
// Contexts make the layers' kernels for their input shapes, plan one device arena, and run the
// layers on the caller's stream, replaying them as a CUDA graph while shapes and addresses stay.
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "backends/cuda/device_context.h"
#include "kiln/kiln.h"
#include "plan/plan.h"

namespace kiln {

class CudaEngine final : public Engine {
 public:
  // `info.annotations` holds one tactic per node of `graph` (the lowered graph).
  static Expected<std::unique_ptr<CudaEngine>> create(std::shared_ptr<const Graph> graph, PlanInfo info,
                                                      int device = 0);

  const std::vector<TensorInfo>& io_tensors() const override { return io_; }
  Expected<std::unique_ptr<ExecutionContext>> create_context() const override;
  size_t weights_bytes() const override { return weights_.bytes(); }
  const std::vector<OptimizationProfile>& optimization_profiles() const override { return info_.profiles; }
  Expected<std::vector<uint8_t>> serialize() const override;

  const Graph& graph() const { return *graph_; }
  const PlanInfo& info() const { return info_; }
  int device() const { return device_; }
  // A constant's copy on the device.
  const void* device_constant(const Value* v) const {
    auto it = constants_.find(v);
    return it == constants_.end() ? nullptr : it->second;
  }

 private:
  CudaEngine(std::shared_ptr<const Graph> graph, PlanInfo info, int device);
  Status upload_constants();

  std::shared_ptr<const Graph> graph_;
  PlanInfo info_;
  int device_ = 0;
  std::vector<TensorInfo> io_;
  cuda::DeviceBuffer weights_;
  std::unordered_map<const Value*, const void*> constants_;
};

}  // namespace kiln
