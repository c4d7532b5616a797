#include "ir/shape_inference.h"

#include "core/error.h"
#include "ir/op_schema.h"

namespace kiln {

Status infer_graph_shapes(Graph& graph) {
  for (const auto& node : graph.nodes()) {
    std::vector<InferContext::Input> inputs;
    for (const Value* v : node->inputs()) inputs.push_back(infer_input_of(v));
    KILN_ASSIGN_OR_RETURN(auto outs, infer_node(*node, std::move(inputs)));
    for (size_t i = 0; i < outs.size(); ++i) {
      Value* v = node->outputs()[i];
      if (v != nullptr) v->set_type(outs[i].first, std::move(outs[i].second));
    }
  }
  return Status::Ok();
}

}  // namespace kiln
