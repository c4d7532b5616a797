// The CPU engine: the graph run by the reference executor.
#pragma once

#include <memory>

#include "ir/graph.h"
#include "kiln/kiln.h"
#include "plan/plan.h"

namespace kiln {

// `info` is what the engine's plan file records besides the graph.
Expected<std::unique_ptr<Engine>> build_cpu_engine(std::shared_ptr<const Graph> graph, PlanInfo info = {});

}  // namespace kiln
