// Whole-graph type and shape inference.
#pragma once

#include "ir/graph.h"

namespace kiln {

// Runs each node's schema inference in (topological) node order and sets its outputs' types and
// shapes. Constants are visible to inference as values. Errors name the node.
Status infer_graph_shapes(Graph& graph);

}  // namespace kiln
