#include "builder/wrapped_op.h"

#include "ir/ops/fused_ops.h"

namespace kiln {

const Node* single_op(const Node& wrapper) {
  if (wrapper.domain() != kKilnDomain || wrapper.op_type() != kChannelsLastOp) return nullptr;
  const Attribute* body = wrapper.attr("body");
  return body != nullptr && body->g && body->g->nodes().size() == 1 ? body->g->nodes().front().get() : nullptr;
}

std::vector<const Value*> outer_inputs(const Node& wrapper, const Node& op) {
  const Graph& body = *wrapper.attr("body")->g;
  std::vector<const Value*> outer;
  for (const Value* in : op.inputs()) {
    const Value* v = nullptr;
    for (size_t j = 0; in != nullptr && j < body.inputs().size() && j < wrapper.inputs().size(); ++j)
      if (body.inputs()[j] == in) v = wrapper.inputs()[j];
    outer.push_back(v);
  }
  return outer;
}

Node* producer_of_sole_read(const Graph& graph,
                            const std::unordered_map<const Value*, std::vector<const Node*>>& readers,
                            const Value* v) {
  if (v == nullptr || graph.is_graph_output(v) || v->producer() == nullptr) return nullptr;
  const auto it = readers.find(v);
  return it != readers.end() && it->second.size() == 1 ? v->producer() : nullptr;
}

bool is_qconv(const Node& n) { return n.domain() == kKilnDomain && n.op_type() == kQConvOp; }

}  // namespace kiln
