// TensorInfo (the public description of an I/O tensor) from IR values.
#pragma once

#include <vector>

#include "ir/graph.h"
#include "kiln/kiln.h"

namespace kiln {

TensorInfo tensor_info_of(const Value& v, TensorIOMode mode);
std::vector<TensorInfo> graph_io_tensors(const Graph& g);

}  // namespace kiln
