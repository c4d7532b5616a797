// The CPU engine: the graph run by the reference executor.
#pragma once

#include <memory>

#include "ir/graph.h"
#include "kiln/kiln.h"

namespace kiln {

Expected<std::unique_ptr<Engine>> build_cpu_engine(std::shared_ptr<const Graph> graph);

}  // namespace kiln
