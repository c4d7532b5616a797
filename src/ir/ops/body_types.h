// Element types and shapes of a control-flow body's outputs (If/Loop/Scan), for inference and for kernels
// that must type an output assembled from zero iterations.
#pragma once

#include <vector>

#include "ir/graph.h"

namespace kiln {

// The importer only types the body values a model declares, so undeclared outputs are found by
// running the body nodes' own inference, starting from `input_types` for the body inputs that
// declare no type (values the body captures from enclosing graphs stay untyped there). Outputs
// neither declared nor inferable are kUndefined
// with an unknown shape.
std::vector<std::pair<DataType, Shape>> body_output_types(const Graph& body, const std::vector<DataType>& input_types);

}  // namespace kiln
