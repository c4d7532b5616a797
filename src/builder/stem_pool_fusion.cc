#include "builder/stem_pool_fusion.h"

#include <memory>

#include "builder/wrapped_op.h"
#include "core/error.h"
#include "ir/ops/fused_ops.h"

namespace kiln {

namespace {

bool is_max_pool(const Node& n) { return n.domain().empty() && n.op_type() == "MaxPool"; }

// The conv wrapper's body with the pool appended: same inputs, the pool's output the body's.
std::shared_ptr<Graph> conv_then_pool(const Graph& conv_body, const Node& pool) {
  auto body = std::make_shared<Graph>();
  const Node& conv = *conv_body.nodes().front();
  Node* inner = body->add_node(conv.name(), conv.op_type(), conv.domain(), conv.opset());
  inner->attrs() = conv.attrs();
  inner->set_schema(conv.schema());
  for (const Value* in : conv.inputs()) {
    if (in == nullptr) {
      inner->inputs().push_back(nullptr);
      continue;
    }
    Value* formal = body->get_or_add_value(in->name());
    formal->set_type(in->dtype(), in->shape());
    inner->inputs().push_back(formal);
  }
  for (const Value* in : conv_body.inputs()) body->inputs().push_back(body->get_or_add_value(in->name()));
  Value* mid = body->get_or_add_value("conv_out");
  mid->set_producer(inner);
  inner->outputs().push_back(mid);
  Node* outer = body->add_node(pool.name(), pool.op_type(), pool.domain(), pool.opset());
  outer->attrs() = pool.attrs();
  outer->set_schema(pool.schema());
  outer->inputs().push_back(mid);
  Value* out = body->get_or_add_value("out0");
  out->set_producer(outer);
  outer->outputs().push_back(out);
  body->outputs().push_back(out);
  return body;
}

}  // namespace

Expected<std::vector<std::string>> fuse_stem_max_pool(Graph& graph, const StemPoolFusable& fusable) {
  std::vector<std::string> events;
  const auto consumers = graph.consumers();
  std::vector<const Node*> doomed;
  for (const auto& node : graph.nodes()) {
    Node& pool_layer = *node;
    const Node* pool = single_op(pool_layer);
    if (pool == nullptr || !is_max_pool(*pool) || pool_layer.inputs().size() != 1 || pool_layer.outputs().size() != 1)
      continue;
    Value* mid = pool_layer.input(0);
    Node* producer = producer_of_sole_read(graph, consumers, mid);
    if (producer == nullptr) continue;
    Node& conv_layer = *producer;
    const Node* conv = single_op(conv_layer);
    if (conv == nullptr || !is_qconv(*conv) || conv_layer.outputs().size() != 1 || conv_layer.input(0) == nullptr)
      continue;
    if (!fusable(*conv, *pool, outer_inputs(conv_layer, *conv), *mid)) continue;
    events.push_back("fused '" + conv->name() + " + " + pool->name() + "' (stem + MaxPool)");
    // The new body replaces the one `conv` lives in.
    conv_layer.attrs()["body"] = Attribute::of_graph(conv_then_pool(*conv_layer.attr("body")->g, *pool));
    conv_layer.outputs() = pool_layer.outputs();
    for (Value* out : conv_layer.outputs()) out->set_producer(&conv_layer);
    pool_layer.outputs().clear();
    doomed.push_back(&pool_layer);
  }
  graph.erase_nodes(doomed);
  graph.prune_values();
  KILN_RETURN_IF_ERROR(graph.topological_sort());
  return events;
}

}  // namespace kiln
