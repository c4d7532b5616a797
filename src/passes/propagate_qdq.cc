// Moves DequantizeLinear past layers that commute with it, so more layers see a DQ at their
// input (and fuse_qdq makes them quantized), as TensorRT's Q/DQ propagation does:
//   DQ -> MaxPool            becomes MaxPool on the int8 tensor -> DQ (a per-tensor DQ with a
//                            positive scale is increasing, so the max of the dequantized window
//                            is the dequantized max);
//   DQ -> Reshape / Flatten / Squeeze / Unsqueeze / Transpose   move the same bytes either way;
// then a DQ -> QuantizeLinear pair with the same per-tensor scale and zero point is the identity
// on the int8 tensor (|x - zp| <= 255, so x * s / s rounds back to x) and goes away.
// QuantizeLinear moves backwards past the same layers when it is their output's only reader:
//   MaxPool -> Q             becomes Q -> MaxPool on the int8 tensor (rounding and saturation
//                            are non-decreasing, so quantizing the max is the max of the quantized);
// which hands the layer before (a quantized conv's float output) a Q to fuse as its int8 output,
// as INT8 calibration's graphs need (it quantizes the inputs of the next conv, after the pool).
// Only then: a pool after a layer that stays float (ResNet's FP16 stem conv) keeps its Q after it,
// as quantizing the pool's input would cost a pass over a tensor four times the output's size.
// Not propagated (left as fake-quant): Relu, AveragePool, Concat, Resize and other ops whose
// commuting needs equal scales across inputs or rounding arguments.
#include <set>

#include "ir/op_schema.h"
#include "ir/ops/fused_ops.h"
#include "passes/passes.h"
#include "passes/qdq_match.h"
#include "passes/rewrite_util.h"

namespace kiln {

namespace {

bool commutes_with_dequantize(const Node& n) {
  static const std::set<std::string> kOps = {"MaxPool", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose"};
  if (!n.domain().empty() || kOps.count(n.op_type()) == 0 || n.output(0) == nullptr) return false;
  // MaxPool's Indices output would not move with it.
  return n.outputs().size() == 1 || n.output(1) == nullptr;
}

bool same_quantization(const PerTensorQuant& a, const PerTensorQuant& b) {
  return a.scale == b.scale && a.zero_point == b.zero_point && a.quantized == b.quantized;
}

class PropagateQdq final : public Pass {
 public:
  std::string_view name() const override { return "propagate_qdq"; }

  Expected<PassResult> run(Graph& graph) override {
    PassResult result;
    // One rewrite at a time: each changes the producers the next match looks at.
    for (bool changed = true; changed;) {
      changed = false;
      for (const auto& node : graph.nodes()) {
        // Rewrites add and erase nodes: take what the event needs first, and stop this sweep.
        const std::string layer_name = node->name();
        // Only integer tensors move: Kiln's pools and reshapes take no float8e4m3 tensors.
        if (auto dq = dequantize_producer(node->input(0)); dq && dq->integer() && commutes_with_dequantize(*node)) {
          result.events.push_back("moved DequantizeLinear '" + dq->node->name() + "' after '" + layer_name + "' (" +
                                  node->op_type() + ")");
          KILN_RETURN_IF_ERROR(move_after(graph, *node, *dq));
          changed = true;
          break;
        }
        if (auto q = per_tensor_quant(node.get(), "QuantizeLinear"); q && q->integer() && movable_before(graph, *node)) {
          const Node* layer = node->input(0)->producer();
          result.events.push_back("moved QuantizeLinear '" + node->name() + "' before '" + layer->name() + "' (" +
                                  layer->op_type() + ")");
          KILN_RETURN_IF_ERROR(move_before(graph, *layer, *q));
          changed = true;
          break;
        }
        if (cancels(graph, *node)) {
          const Node* dq = node->input(0)->producer();
          result.events.push_back("eliminated '" + dq->name() + "' -> '" + layer_name +
                                  "' (DequantizeLinear -> QuantizeLinear with equal parameters)");
          graph.replace_uses(node->output(0), dq->input(0));
          graph.erase_nodes({node.get()});
          changed = true;
          break;
        }
      }
    }
    return result;
  }

 private:
  // `layer` (reading dq's output) reads dq's int8 input instead; a copy of dq makes its output.
  static Status move_after(Graph& graph, const Node& layer, const PerTensorQuant& dq) {
    Value* y = layer.output(0);
    KILN_ASSIGN_OR_RETURN(Value * y_int, graph.add_value(graph.unique_value_name(y->name() + ".quantized")));
    // Typed now, for the matches later in this pass (the manager re-infers shapes only after it).
    y_int->set_type(dq.quantized, y->shape());
    std::vector<Value*> inputs = layer.inputs();
    inputs[0] = dq.node->input(0);
    // The moved layer keeps its name: erase the original first, naming the new one after a copy.
    const Node original(layer.name(), layer.op_type(), layer.domain(), layer.opset());
    const auto attrs = layer.attrs();
    graph.erase_nodes({&layer});
    KILN_RETURN_IF_ERROR(add_replacement(graph, {&original}, original.op_type(), original.domain(), original.opset(),
                                         inputs, {y_int}, attrs)
                             .status());
    std::vector<Value*> dq_inputs{y_int, dq.node->input(1), dq.node->input(2)};
    if (dq_inputs.back() == nullptr) dq_inputs.pop_back();
    return add_replacement(graph, {dq.node}, "DequantizeLinear", "", dq.node->opset(), dq_inputs, {y}, dq.node->attrs())
        .status();
  }

  // A QuantizeLinear whose input comes from a commuting layer that nothing else reads.
  static bool movable_before(const Graph& graph, const Node& q) {
    const Value* x = q.input(0);
    const Node* layer = x != nullptr ? x->producer() : nullptr;
    if (layer == nullptr || !commutes_with_dequantize(*layer) || graph.is_graph_output(x)) return false;
    if (layer->input(0) == nullptr || !is_floating(layer->input(0)->dtype())) return false;
    const auto readers = graph.consumers();
    auto it = readers.find(x);
    return it != readers.end() && it->second.size() == 1 && written_by_quantized_layer(layer->input(0));
  }

  // Whether v comes from a layer fuse_qdq will quantize (a conv or matmul reading a dequantized
  // tensor, its activation fused already or still to fuse), so that a Q on v becomes its int8
  // output.
  static bool written_by_quantized_layer(const Value* v) {
    static const std::set<std::string> kActivations = {"Relu", "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid",
                                                       "HardSwish", "Tanh"};
    static const std::set<std::string> kLayers = {"Conv", "Gemm", "MatMul"};
    static const std::set<std::string> kFusedLayers = {std::string(kFusedConvOp), std::string(kFusedMatMulOp)};
    const Node* n = v != nullptr ? v->producer() : nullptr;
    while (n != nullptr && n->domain().empty() && kActivations.count(n->op_type()) != 0)
      n = n->input(0) != nullptr ? n->input(0)->producer() : nullptr;
    if (n == nullptr) return false;
    const bool layer = n->domain().empty() ? kLayers.count(n->op_type()) != 0
                                           : n->domain() == kKilnDomain && kFusedLayers.count(n->op_type()) != 0;
    return layer && dequantize_producer(n->input(0)).has_value();
  }

  // `layer` -> `q` becomes a copy of q on layer's input -> layer on the quantized tensor, which
  // writes q's output.
  static Status move_before(Graph& graph, const Node& layer, const PerTensorQuant& q) {
    Value* x = layer.input(0);
    Value* y = q.node->output(0);
    KILN_ASSIGN_OR_RETURN(Value * x_int, graph.add_value(graph.unique_value_name(x->name() + ".quantized")));
    x_int->set_type(q.quantized, x->shape());
    std::vector<Value*> q_inputs{x, q.node->input(1), q.node->input(2)};
    if (q_inputs.back() == nullptr) q_inputs.pop_back();
    std::vector<Value*> inputs = layer.inputs();
    inputs[0] = x_int;
    const Node original(layer.name(), layer.op_type(), layer.domain(), layer.opset());
    const auto attrs = layer.attrs();
    const Node q_copy(q.node->name(), q.node->op_type(), q.node->domain(), q.node->opset());
    const auto q_attrs = q.node->attrs();
    const int q_opset = q.node->opset();
    graph.erase_nodes({&layer, q.node});
    KILN_RETURN_IF_ERROR(
        add_replacement(graph, {&q_copy}, "QuantizeLinear", "", q_opset, q_inputs, {x_int}, q_attrs).status());
    return add_replacement(graph, {&original}, original.op_type(), original.domain(), original.opset(), inputs, {y},
                           attrs)
        .status();
  }

  // A QuantizeLinear undoing the DequantizeLinear before it.
  static bool cancels(const Graph& graph, const Node& node) {
    const auto q = per_tensor_quant(&node, "QuantizeLinear");
    if (!q || graph.is_graph_output(node.output(0))) return false;
    const auto dq = dequantize_producer(node.input(0));
    return dq && same_quantization(*q, *dq);
  }
};

}  // namespace

std::unique_ptr<Pass> make_propagate_qdq() { return std::make_unique<PropagateQdq>(); }

}  // namespace kiln
