// `kiln inspect --json`: a model or plan as JSON, for scripts and other tools.
#pragma once

#include <nlohmann/json.hpp>

#include "ir/graph.h"
#include "plan/plan.h"

namespace kiln::cli {

// `plan` is null for an ONNX model. The keys are documented in docs/plan-format.md.
nlohmann::json inspect_json(const Graph& graph, const LoadedPlan* plan);

}  // namespace kiln::cli
