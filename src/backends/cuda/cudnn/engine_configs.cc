#include "backends/cuda/cudnn/engine_configs.h"

#include <algorithm>
#include <array>

namespace kiln::cuda {

Expected<std::vector<BackendDescriptor>> heuristic_configs(const BackendDescriptor& op_graph,
                                                           cudnnBackendHeurMode_t mode) {
  KILN_ASSIGN_OR_RETURN(BackendDescriptor heur, BackendDescriptor::create(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR));
  KILN_RETURN_IF_ERROR(heur.set(CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, op_graph));
  KILN_RETURN_IF_ERROR(heur.set(CUDNN_ATTR_ENGINEHEUR_MODE, mode));
  KILN_RETURN_IF_ERROR(heur.finalize());
  return heur.get_descriptors(CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_BACKEND_ENGINECFG_DESCRIPTOR);
}

Expected<EngineInfo> engine_info(const BackendDescriptor& config) {
  KILN_ASSIGN_OR_RETURN(auto engines,
                        config.get_descriptors(CUDNN_ATTR_ENGINECFG_ENGINE, CUDNN_BACKEND_ENGINE_DESCRIPTOR, 1));
  if (engines.size() != 1) return internal_error("a cuDNN engine config has no engine");
  const BackendDescriptor& engine = engines[0];
  EngineInfo info;
  KILN_ASSIGN_OR_RETURN(info.global_index, engine.get_one<int64_t>(CUDNN_ATTR_ENGINE_GLOBAL_INDEX));
  std::array<cudnnBackendNumericalNote_t, CUDNN_NUMERICAL_NOTE_TYPE_COUNT> notes{};
  KILN_ASSIGN_OR_RETURN(int64_t n, engine.get(CUDNN_ATTR_ENGINE_NUMERICAL_NOTE,
                                              std::span<cudnnBackendNumericalNote_t>(notes)));
  info.notes.assign(notes.begin(), notes.begin() + std::clamp<int64_t>(n, 0, static_cast<int64_t>(notes.size())));
  std::array<cudnnBackendBehaviorNote_t, CUDNN_BEHAVIOR_NOTE_TYPE_COUNT> behavior{};
  KILN_ASSIGN_OR_RETURN(int64_t nb, engine.get(CUDNN_ATTR_ENGINE_BEHAVIOR_NOTE,
                                               std::span<cudnnBackendBehaviorNote_t>(behavior)));
  for (int64_t i = 0; i < std::clamp<int64_t>(nb, 0, static_cast<int64_t>(behavior.size())); ++i)
    info.runtime_compiled = info.runtime_compiled || behavior[static_cast<size_t>(i)] == CUDNN_BEHAVIOR_NOTE_RUNTIME_COMPILATION;
  return info;
}

bool numerics_allowed(const EngineInfo& engine, DataType dtype, bool allow_tf32) {
  const bool strict_fp32 = dtype == DataType::kFloat32 && !allow_tf32;
  for (cudnnBackendNumericalNote_t note : engine.notes) {
    switch (note) {
      case CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS:
      case CUDNN_NUMERICAL_NOTE_REDUCED_PRECISION_REDUCTION: return false;
      case CUDNN_NUMERICAL_NOTE_TENSOR_CORE:
      case CUDNN_NUMERICAL_NOTE_FFT:
      case CUDNN_NUMERICAL_NOTE_WINOGRAD:
      case CUDNN_NUMERICAL_NOTE_WINOGRAD_TILE_4x4:
      case CUDNN_NUMERICAL_NOTE_WINOGRAD_TILE_6x6:
      case CUDNN_NUMERICAL_NOTE_WINOGRAD_TILE_13x13:
        if (strict_fp32) return false;
        break;
      default: break;
    }
  }
  return true;
}

std::string numerical_notes_string(const EngineInfo& engine) {
  std::string s;
  for (cudnnBackendNumericalNote_t note : engine.notes) {
    if (!s.empty()) s += ", ";
    switch (note) {
      case CUDNN_NUMERICAL_NOTE_TENSOR_CORE: s += "tensor_core"; break;
      case CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS: s += "down_convert_inputs"; break;
      case CUDNN_NUMERICAL_NOTE_REDUCED_PRECISION_REDUCTION: s += "reduced_precision_reduction"; break;
      case CUDNN_NUMERICAL_NOTE_FFT: s += "fft"; break;
      case CUDNN_NUMERICAL_NOTE_NONDETERMINISTIC: s += "nondeterministic"; break;
      case CUDNN_NUMERICAL_NOTE_WINOGRAD:
      case CUDNN_NUMERICAL_NOTE_WINOGRAD_TILE_4x4:
      case CUDNN_NUMERICAL_NOTE_WINOGRAD_TILE_6x6:
      case CUDNN_NUMERICAL_NOTE_WINOGRAD_TILE_13x13: s += "winograd"; break;
      default: s += "note " + std::to_string(static_cast<int>(note)); break;
    }
  }
  return s.empty() ? "no numerical notes" : s;
}

Expected<ExecutionPlan> make_execution_plan(cudnnHandle_t handle, const BackendDescriptor& config) {
  ExecutionPlan p;
  KILN_ASSIGN_OR_RETURN(p.plan, BackendDescriptor::create(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR));
  KILN_RETURN_IF_ERROR(p.plan.set(CUDNN_ATTR_EXECUTION_PLAN_HANDLE, handle));
  KILN_RETURN_IF_ERROR(p.plan.set(CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, config));
  KILN_RETURN_IF_ERROR(p.plan.finalize());
  KILN_ASSIGN_OR_RETURN(int64_t workspace, p.plan.get_one<int64_t>(CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE));
  p.workspace_bytes = static_cast<size_t>(std::max<int64_t>(workspace, 0));
  return p;
}

}  // namespace kiln::cuda
