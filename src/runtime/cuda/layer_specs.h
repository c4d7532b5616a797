// What the CUDA builder and runtime both need of a layer: its LayerSpec at concrete shapes, a
// signature for the timing cache, its precision for reports, and the provider named in a plan.
#pragma once

#include <string>
#include <unordered_map>

#include "backends/cuda/layer_kernel.h"
#include "builder/concrete_shapes.h"

namespace kiln {

// Values known on the host besides constants: shape tensors (graph inputs a Reshape's shape,
// a Slice's starts or a Resize's scales come from), bound in host memory.
using HostValues = std::unordered_map<const Value*, const Tensor*>;

// `dims` must hold the graph inputs' dims too. A tensor whose dims are unknown (they depend on
// data not known yet) makes it kUnsupported, naming the tensor; with `data_dependent_outputs`,
// such an output is marked TensorDesc::data_dependent instead (the engine lets the kernel size it).
Expected<cuda::LayerSpec> make_layer_spec(const Node& node, const ConcreteDims& dims, bool allow_tf32,
                                          size_t workspace_limit, const HostValues* host_values = nullptr,
                                          bool data_dependent_outputs = false);
// Whether a graph input sets shapes and is read on the host: integer tensors of at most 64
// elements, and the small float inputs of Resize/Upsample/Range.
bool is_shape_tensor_input(const Graph& graph, const Value* input);
// Op, attributes, dtypes, shapes and small constants: equal signatures time alike.
std::string layer_signature(const cuda::LayerSpec& spec);
// "fp16", "tf32", "fp32", "int64", ...: the dtype the layer computes in.
std::string precision_of(const cuda::LayerSpec& spec);
// A CUDA provider (the host fallback included) by name; null when there is none.
const cuda::TacticProvider* find_provider(const std::string& name);

}  // namespace kiln
