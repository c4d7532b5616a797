// Generates the CUDA C++ of a kiln.Pointwise layer: the shared device code, then one functor
// whose call evaluates the whole body for one output element (one statement per body node, in
// float for the 16-bit types), run by the same loop as the precompiled kernels, so broadcasting
// and vectorization come with it.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"

namespace kiln::cuda::elementwise {

// The name of the generated kernel (extern "C"; its one parameter is ElementwiseParams).
inline constexpr const char* kPointwiseKernelName = "kiln_pointwise";

// The source for `body` (formal inputs of `input_types`, one output of `output_type`). Body
// constants must hold one element; they become literals. Unsupported, naming the op, for a body
// node no functor implements.
Expected<std::string> generate_pointwise_source(const Graph& body, const std::vector<DataType>& input_types,
                                                DataType output_type);

}  // namespace kiln::cuda::elementwise
