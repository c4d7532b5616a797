// Precision assignment: in FP16 or BF16 mode every float32 tensor between the graph's inputs and
// outputs becomes 16-bit. Graph inputs and outputs keep the dtype the user sees; Cast nodes
// convert at the boundary. Weights are converted once, here, so the plan stores them 16-bit.
// Kernels compute 16-bit data in float (accumulation, softmax, normalization, reductions).
#pragma once

#include "ir/graph.h"

namespace kiln {

// `storage` is kFloat16 or kBFloat16 (kFloat32 leaves the graph as it is). Re-infers types.
Status assign_precision(Graph& graph, DataType storage);

}  // namespace kiln
