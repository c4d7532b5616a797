// The cuDNN convolution's tactics: which engine configs are offered for a layer, how a tactic
// names one, and rebuilding exactly that engine config's execution plan from the tactic.
//
// A tactic is a position in a heuristic's list (mode A or FALLBACK) for one graph kind (the whole
// fused layer, or the convolution alone followed by Kiln's epilogue kernel). The heuristics are
// deterministic for a graph on a device, so the position finds the same config again; the
// engine's global index, kept in the id too, checks that it did.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "backends/cuda/cudnn/conv_graph.h"
#include "backends/cuda/cudnn/engine_configs.h"

namespace kiln::cuda {

struct ConvTacticKey {
  ConvGraphKind kind = ConvGraphKind::kFused;
  cudnnBackendHeurMode_t mode = CUDNN_HEUR_MODE_A;
  int64_t index = 0;   // in the heuristic's list
  int64_t engine = 0;  // the engine's global index
};

int64_t encode_conv_tactic(const ConvTacticKey& key);
Expected<ConvTacticKey> decode_conv_tactic(int64_t id);

// "cudnn_conv_nhwc_fp16_bias_add_relu#e12" ("cudnn_conv_nchw_..." for NCHW layers,
// "cudnn_convtranspose_nchw_fp32_bias#e3" for ConvTranspose, "cudnn_conv_nhwc_int8_bias_relu_to_int8#e7"
// for QConv), with "_kepilogue" before '#' for the tactics that finish the layer in Kiln's
// epilogue kernel ("_f32acc_kepilogue" when cuDNN writes QConv's accumulators as FP32).
std::string conv_tactic_name(const ConvProblem& problem, const ConvTacticKey& key);

// Up to 8 tactics whose plans finalize within the workspace limit, the fused graph's first;
// unsupported (with cuDNN's last reason) when there is none. Without `allow_runtime_compiled`,
// engines that compile their kernel when the plan is made are passed over.
Expected<std::vector<Tactic>> conv_tactics(cudnnHandle_t handle, const ConvProblem& problem, bool allow_tf32,
                                           size_t workspace_limit, bool allow_runtime_compiled = true);

// What a tactic runs: the op graph, the engine config and its finalized plan.
struct PlannedConv {
  ConvGraphKind kind = ConvGraphKind::kFused;
  ConvGraph graph;
  BackendDescriptor config;
  ExecutionPlan plan;
};
// Checks again that the engine's numerics suit the layer (`allow_tf32`).
Expected<PlannedConv> plan_conv_tactic(cudnnHandle_t handle, const ConvProblem& problem, const ConvTacticKey& key,
                                       bool allow_tf32);

}  // namespace kiln::cuda
