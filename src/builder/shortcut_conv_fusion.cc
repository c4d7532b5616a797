#include "builder/shortcut_conv_fusion.h"

#include <algorithm>
#include <memory>

#include "builder/wrapped_op.h"
#include "core/error.h"
#include "ir/ops/fused_ops.h"

namespace kiln {

namespace {

// The fused layer's inputs: each outer value once, with its channels-last flag, and the body's
// formal input standing for it.
struct FusedInputs {
  std::vector<Value*> outer;
  std::vector<int64_t> flags;
  std::shared_ptr<Graph> body = std::make_shared<Graph>();

  // The formal of `wrapper`'s input `slot`, added on first use.
  Value* formal(const Node& wrapper, size_t slot) {
    Value* v = wrapper.inputs()[slot];
    const auto it = std::find(outer.begin(), outer.end(), v);
    if (it != outer.end()) return body->inputs()[static_cast<size_t>(it - outer.begin())];
    const Value* inner = wrapper.attr("body")->g->inputs()[slot];
    Value* f = body->get_or_add_value("in" + std::to_string(outer.size()));
    f->set_type(inner->dtype(), inner->shape());
    body->inputs().push_back(f);
    outer.push_back(v);
    flags.push_back(wrapper.attr_ints("nhwc_inputs").at(slot));
    return f;
  }
};

// The body input slot of `wrapper` that `op`'s input `i` reads, or -1.
int slot_of(const Node& wrapper, const Node& op, size_t i) {
  const Graph& body = *wrapper.attr("body")->g;
  const Value* in = i < op.inputs().size() ? op.inputs()[i] : nullptr;
  for (size_t j = 0; in != nullptr && j < body.inputs().size(); ++j)
    if (body.inputs()[j] == in) return static_cast<int>(j);
  return -1;
}

// A copy of `op` (of `wrapper`) in the fused body, its inputs mapped to the fused formals; slots
// in `dropped` left absent.
Node* copy_into(FusedInputs& fused, const Node& wrapper, const Node& op, const std::vector<size_t>& dropped) {
  Node* inner = fused.body->add_node(op.name(), op.op_type(), op.domain(), op.opset());
  inner->attrs() = op.attrs();
  inner->set_schema(op.schema());
  for (size_t i = 0; i < op.inputs().size(); ++i) {
    const int slot = slot_of(wrapper, op, i);
    const bool drop = std::find(dropped.begin(), dropped.end(), i) != dropped.end();
    inner->inputs().push_back(slot < 0 || drop ? nullptr : fused.formal(wrapper, static_cast<size_t>(slot)));
  }
  while (!inner->inputs().empty() && inner->inputs().back() == nullptr) inner->inputs().pop_back();
  return inner;
}

}  // namespace

Expected<std::vector<std::string>> fuse_shortcut_conv(Graph& graph, const ShortcutConvFusable& fusable) {
  std::vector<std::string> events;
  const auto consumers = graph.consumers();
  std::vector<const Node*> doomed;
  for (const auto& node : graph.nodes()) {
    Node& layer = *node;
    const Node* conv = single_op(layer);
    if (conv == nullptr || !is_qconv(*conv) || layer.outputs().size() != 1 || layer.outputs()[0] == nullptr) continue;
    const std::vector<const Value*> conv_outer = outer_inputs(layer, *conv);
    const Value* residual = conv_outer.size() > kQResidualScale ? conv_outer[kQResidual] : nullptr;
    // An int8 residual (its scale present), read once by this layer and by nothing else.
    Node* producer = producer_of_sole_read(graph, consumers, residual);
    if (producer == nullptr || conv_outer[kQResidualScale] == nullptr ||
        std::count(layer.inputs().begin(), layer.inputs().end(), residual) != 1)
      continue;
    Node& shortcut_layer = *producer;
    const Node* shortcut = single_op(shortcut_layer);
    if (shortcut == nullptr || !is_qconv(*shortcut) || shortcut_layer.outputs().size() != 1) continue;
    std::vector<const Value*> conv_inputs = conv_outer, shortcut_inputs = outer_inputs(shortcut_layer, *shortcut);
    conv_inputs[kQResidual] = conv_inputs[kQResidualScale] = nullptr;
    if (shortcut_inputs.size() > kQOutputScale) shortcut_inputs[kQOutputScale] = nullptr;
    if (!fusable(*conv, conv_inputs, *shortcut, shortcut_inputs, *layer.outputs()[0])) continue;
    events.push_back("fused '" + shortcut->name() + " + " + conv->name() + "' (shortcut convolution)");

    // The body: the shortcut with a float output, then the convolution adding it.
    FusedInputs fused;
    Node* first = copy_into(fused, shortcut_layer, *shortcut, {kQOutputScale});
    first->attrs()["output_dtype"] = Attribute::of_int(1);  // ONNX FLOAT
    Value* sum = fused.body->get_or_add_value("shortcut_sum");
    sum->set_producer(first);
    first->outputs().push_back(sum);
    Node* second = copy_into(fused, layer, *conv, {kQResidual, kQResidualScale});
    if (second->inputs().size() <= kQResidual) second->inputs().resize(kQResidual + 1, nullptr);
    second->inputs()[kQResidual] = sum;
    Value* out = fused.body->get_or_add_value("out0");
    out->set_producer(second);
    second->outputs().push_back(out);
    fused.body->outputs().push_back(out);

    layer.inputs() = fused.outer;
    layer.attrs()["body"] = Attribute::of_graph(fused.body);
    layer.attrs()["nhwc_inputs"] = Attribute::of_ints(fused.flags);
    shortcut_layer.outputs().clear();
    doomed.push_back(&shortcut_layer);
  }
  graph.erase_nodes(doomed);
  graph.prune_values();
  KILN_RETURN_IF_ERROR(graph.topological_sort());
  return events;
}

}  // namespace kiln
