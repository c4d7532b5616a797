#include "builder/concrete_shapes.h"

#include "core/error.h"
#include "ir/op_schema.h"

namespace kiln {

Expected<ConcreteDims> infer_concrete_dims(const Graph& graph, const std::vector<std::vector<int64_t>>& input_dims,
                                           const std::vector<const Tensor*>& input_values) {
  if (input_dims.size() != graph.inputs().size())
    return invalid_argument("graph '{}' takes {} input(s), got dims for {}", graph.name, graph.inputs().size(),
                            input_dims.size());
  // The shapes this run sees: graph inputs at the given dims, node outputs as inferred here.
  std::unordered_map<const Value*, Shape> shapes;
  for (size_t i = 0; i < input_dims.size(); ++i) shapes[graph.inputs()[i]] = Shape::from_dims(input_dims[i]);
  ConcreteDims dims;
  for (const auto& node : graph.nodes()) {
    std::vector<InferContext::Input> inputs;
    for (const Value* v : node->inputs()) {
      auto it = shapes.find(v);
      inputs.push_back(infer_input_of(v, it != shapes.end() ? &it->second : nullptr));
      for (size_t i = 0; i < input_values.size(); ++i)
        if (input_values[i] != nullptr && graph.inputs()[i] == v) inputs.back().value = input_values[i];
    }
    KILN_ASSIGN_OR_RETURN(auto outs, infer_node(*node, std::move(inputs)));
    for (size_t i = 0; i < outs.size() && i < node->outputs().size(); ++i) {
      const Value* v = node->outputs()[i];
      if (v == nullptr) continue;
      if (auto static_dims = outs[i].second.static_dims()) dims[v] = *static_dims;
      shapes[v] = std::move(outs[i].second);
    }
  }
  return dims;
}

}  // namespace kiln
