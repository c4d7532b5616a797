// Runs a graph node by node with the reference kernels. Shapes are inferred per run from the
// actual inputs (the same schema inference the builder uses), so any input shape works.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "backends/reference/kernel.h"
#include "ir/graph.h"

namespace kiln {

// Resolves a name read from an enclosing scope (subgraph captures); null when unknown.
using ScopeLookup = std::function<const Tensor*(const std::string& name)>;

// Storage decided before the run (by the memory planner, src/builder/memory_planner.h): node
// outputs written straight into one arena, outputs that are views of their input, and nodes
// whose outputs are already in place (views, concats whose inputs were produced into their slices).
struct PlannedStorage {
  // A value's storage, with its dims. Values not listed are allocated as usual.
  std::unordered_map<const Value*, Tensor> tensors;
  // Values written over an input of their node that dies there: their storage is not zero-filled
  // first, since the kernel reads it.
  std::unordered_set<const Value*> in_place;
  // Nodes that are not run: their outputs' storage already holds the result.
  std::unordered_set<const Node*> skipped;
};

// Checks that every node (and every node of every subgraph) has a reference kernel; lists the
// ones that do not.
Status check_reference_kernels(const Graph& graph);

// Executes `graph` on `inputs` (in graph-input order) and returns the graph outputs in order.
// Stateless: any number of threads may run the same graph at once (each with its own `storage`).
// Outputs that live in `storage` stay valid as long as its memory does.
Expected<std::vector<Tensor>> run_reference(const Graph& graph, const std::vector<Tensor>& inputs,
                                            const ScopeLookup& outer = nullptr,
                                            const PlannedStorage* storage = nullptr);

// Runs one node on given input tensors (null for absent optional inputs): shape inference, then
// the kernel, writing outputs planned in `storage` there. Used by the executor, constant
// folding and tests.
Expected<std::vector<Tensor>> run_reference_node(const Node& node, const std::vector<const Tensor*>& inputs,
                                                 const SubgraphRunner* subgraphs = nullptr,
                                                 const PlannedStorage* storage = nullptr);

}  // namespace kiln
