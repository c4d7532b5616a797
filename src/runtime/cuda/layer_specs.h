// What the CUDA builder and runtime both need of a layer: its LayerSpec at concrete shapes, a
// signature for the timing cache, its precision for reports, and the provider named in a plan.
#pragma once

#include <string>

#include "backends/cuda/layer_kernel.h"
#include "builder/concrete_shapes.h"

namespace kiln {

// `dims` must hold the graph inputs' dims too.
Expected<cuda::LayerSpec> make_layer_spec(const Node& node, const ConcreteDims& dims, bool allow_tf32,
                                          size_t workspace_limit);
// Op, attributes, dtypes, shapes and small constants: equal signatures time alike.
std::string layer_signature(const cuda::LayerSpec& spec);
// "fp16", "tf32", "fp32", "int64", ...: the dtype the layer computes in.
std::string precision_of(const cuda::LayerSpec& spec);
// A CUDA provider (the host fallback included) by name; null when there is none.
const cuda::TacticProvider* find_provider(const std::string& name);

}  // namespace kiln
