// Concrete dims of a graph's values for given input dims: what memory planning works from.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"

namespace kiln {

// The dims of each node output whose shape is static; outputs missing here have a shape that
// depends on computed data (NonZero, a Reshape to a computed shape) and are not planned.
using ConcreteDims = std::unordered_map<const Value*, std::vector<int64_t>>;

// Runs schema inference forward from `input_dims` (graph-input order), with constants visible as
// values, as the runtime does but without computing anything. Errors name the node.
// `input_values`, when given, holds per graph input its value or null: shape tensors (a Reshape's
// target shape fed as an input) let the dims that depend on them be inferred too.
Expected<ConcreteDims> infer_concrete_dims(const Graph& graph, const std::vector<std::vector<int64_t>>& input_dims,
                                           const std::vector<const Tensor*>& input_values = {});

}  // namespace kiln
