// The runtime's entry to the CUDA backend. Builds without CUDA compile cuda_unavailable.cc, whose
// functions say so; with CUDA, runtime/cuda/ implements them.
#pragma once

#include <memory>
#include <string>

#include "kiln/kiln.h"
#include "plan/plan.h"

namespace kiln {

// Lowers the optimized graph for CUDA (precision, layout), times the tactics of every layer on
// the GPU and returns the engine. Appends what it did to `report`.
Expected<std::unique_ptr<Engine>> build_cuda_engine(std::shared_ptr<Graph> graph, const BuilderConfig& config,
                                                    std::string& report);
// An engine from a CUDA plan: recreates each layer's recorded tactic.
Expected<std::unique_ptr<Engine>> load_cuda_engine(LoadedPlan plan);
// Copies device memory to the host (synchronously).
Status copy_device_to_host(const void* src, void* dst, size_t bytes);
// What this machine's GPU `device` is, as plan targets record it.
Expected<PlanTarget> cuda_plan_target(int device);

}  // namespace kiln
