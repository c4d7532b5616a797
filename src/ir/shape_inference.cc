#include "ir/shape_inference.h"

#include "core/error.h"
#include "ir/op_schema.h"

namespace kiln {

Status infer_graph_shapes(Graph& graph) {
  for (const auto& node : graph.nodes()) {
    std::vector<InferContext::Input> inputs;
    for (const Value* v : node->inputs()) {
      InferContext::Input in;
      if (v != nullptr) {
        in.present = true;
        in.dtype = v->dtype();
        in.shape = v->shape();
        in.value = v->is_constant() ? &v->constant() : nullptr;
      }
      inputs.push_back(std::move(in));
    }
    KILN_ASSIGN_OR_RETURN(auto outs, infer_node(*node, std::move(inputs)));
    for (size_t i = 0; i < outs.size(); ++i) {
      Value* v = node->outputs()[i];
      if (v != nullptr) v->set_type(outs[i].first, std::move(outs[i].second));
    }
  }
  return Status::Ok();
}

}  // namespace kiln
