// Runs a graph node by node with the reference kernels. Shapes are inferred per run from the
// actual inputs (the same schema inference the builder uses), so any input shape works.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backends/reference/kernel.h"
#include "ir/graph.h"

namespace kiln {

// Resolves a name read from an enclosing scope (subgraph captures); null when unknown.
using ScopeLookup = std::function<const Tensor*(const std::string& name)>;

// Checks that every node (and every node of every subgraph) has a reference kernel; lists the
// ones that do not.
Status check_reference_kernels(const Graph& graph);

// Executes `graph` on `inputs` (in graph-input order) and returns the graph outputs in order.
// Stateless: any number of threads may run the same graph at once.
Expected<std::vector<Tensor>> run_reference(const Graph& graph, const std::vector<Tensor>& inputs,
                                            const ScopeLookup& outer = nullptr);

// Runs one node on given input tensors (null for absent optional inputs): shape inference, then
// the kernel. Used by the executor, constant folding and tests.
Expected<std::vector<Tensor>> run_reference_node(const Node& node, const std::vector<const Tensor*>& inputs,
                                                 const SubgraphRunner* subgraphs = nullptr);

}  // namespace kiln
