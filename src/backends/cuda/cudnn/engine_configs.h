// cuDNN engine selection for an operation graph: the heuristics' engine configs, what each
// engine's numerical notes say about its precision, and finalized execution plans.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "backends/cuda/cudnn/backend_descriptor.h"
#include "kiln/data_type.h"

namespace kiln::cuda {

// The engine configs heuristic `mode` proposes for the graph, best first. Unsupported (not an
// error) when cuDNN has no engine for the graph at all.
Expected<std::vector<BackendDescriptor>> heuristic_configs(const BackendDescriptor& op_graph,
                                                           cudnnBackendHeurMode_t mode);

struct EngineInfo {
  int64_t global_index = -1;
  std::vector<cudnnBackendNumericalNote_t> notes;
  // The engine compiles its kernel when its plan is finalized (seconds per plan, not microseconds).
  bool runtime_compiled = false;
};
Expected<EngineInfo> engine_info(const BackendDescriptor& config);

// Whether the engine computes as Kiln promises for `dtype`: products summed in FP32, inputs not
// converted to a narrower type, and for FP32 without allow_tf32 no tensor cores (they would
// round the inputs to TF32) and no transform-domain algorithms (FFT, Winograd), whose error is
// far above FP32 rounding.
bool numerics_allowed(const EngineInfo& engine, DataType dtype, bool allow_tf32);

// "tensor_core, reduced_precision_reduction": the engine's numerical notes, for refusal messages.
std::string numerical_notes_string(const EngineInfo& engine);

struct ExecutionPlan {
  BackendDescriptor plan;
  size_t workspace_bytes = 0;
};
// Finalizes the plan of one engine config; unsupported when the engine turns the graph down.
Expected<ExecutionPlan> make_execution_plan(cudnnHandle_t handle, const BackendDescriptor& config);

}  // namespace kiln::cuda
