#include "builder/precision_assignment.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "core/dispatch.h"
#include "ir/op_schema.h"
#include "ir/ops/fused_ops.h"
#include "ir/shape_inference.h"
#include "passes/rewrite_util.h"

namespace kiln {

namespace {

// ONNX TensorProto.DataType numbers (Cast's `to`).
constexpr int64_t kOnnxFloat = 1;
constexpr int64_t kOnnxFloat16 = 10;
constexpr int64_t kOnnxBFloat16 = 16;

bool is_quantized_layer(const Node& node) {
  return node.domain() == kKilnDomain && (node.op_type() == kQConvOp || node.op_type() == kQMatMulOp);
}

bool is_dequantizing_pool(const Node& node) {
  return node.domain() == kKilnDomain && node.op_type() == kQGlobalAveragePoolOp;
}

// The QuantizeLinear nodes that are the only readers of a float32 graph input (an INT8 stem's
// input): they read it as it is, with a float32 scale, instead of through a Cast to 16 bits. The
// quantizer takes float32 as well; the Cast would add a pass over the largest input of the
// engine and a second rounding before the int8 one.
std::unordered_set<const Node*> graph_input_quantizers(const Graph& graph) {
  std::unordered_set<std::string> captured;
  for (const auto& n : graph.nodes())
    for (const std::string& name : captured_names(*n)) captured.insert(name);
  const auto consumers = graph.consumers();
  std::unordered_set<const Node*> quantizers;
  for (const Value* in : graph.inputs()) {
    const auto readers = consumers.find(in);
    if (in->dtype() != DataType::kFloat32 || captured.count(in->name()) || readers == consumers.end() ||
        readers->second.empty())
      continue;
    const bool only_quantizers = std::all_of(readers->second.begin(), readers->second.end(), [&](const Node* r) {
      return r->domain().empty() && r->op_type() == "QuantizeLinear" && r->input(0) == in &&
             std::count(r->inputs().begin(), r->inputs().end(), in) == 1;
    });
    if (only_quantizers) quantizers.insert(readers->second.begin(), readers->second.end());
  }
  return quantizers;
}

// Inputs that are float by definition, not data: they stay float32.
bool keeps_float32(const Node& node, size_t input, const std::unordered_set<const Node*>& float32_quantizers) {
  const std::string& op = node.op_type();
  // The scale of a quantizer reading a float32 graph input.
  if (float32_quantizers.count(&node)) return true;
  // The quantized layers' scales and bias are float32 by contract; only a float residual is data.
  if (is_quantized_layer(node)) return input != kQResidual;
  if (is_dequantizing_pool(node)) return true;  // x_scale (x is int8)
  if (op == "Resize") return input == 1 || input == 2;  // roi, scales
  if (op == "Upsample") return input == 1;               // scales
  return false;
}

Tensor to_storage(const Tensor& t, DataType storage) {
  Tensor out(storage, t.dims());
  const float* src = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (storage == DataType::kFloat16)
      out.data<Half>()[i] = Half(src[i]);
    else
      out.data<BFloat16>()[i] = BFloat16(src[i]);
  }
  return out;
}

Expected<Node*> add_cast(Graph& graph, Value* from, Value* to, int64_t onnx_to) {
  const OpSchema* schema = OpRegistry::global().find("Cast", "");
  Node* cast = graph.add_node(graph.unique_node_name(to->name() + ".cast"), "Cast", "", 13);
  cast->inputs() = {from};
  cast->outputs() = {to};
  cast->attrs()["to"] = Attribute::of_int(onnx_to);
  cast->set_schema(schema);
  to->set_producer(cast);
  KILN_RETURN_IF_ERROR(schema->check_and_fill_defaults(*cast));
  return cast;
}

// The converted copy of each float32 constant, made once however many nodes read it.
class ConstantConverter {
 public:
  ConstantConverter(Graph& graph, DataType storage) : graph_(graph), storage_(storage) {}
  Value* converted(Value* v) {
    auto it = done_.find(v);
    if (it != done_.end()) return it->second;
    Value* c = add_constant(graph_, v->name() + (storage_ == DataType::kFloat16 ? ".fp16" : ".bf16"),
                            to_storage(v->constant(), storage_));
    done_[v] = c;
    return c;
  }

 private:
  Graph& graph_;
  DataType storage_;
  std::unordered_map<Value*, Value*> done_;
};

Status convert_body(Node& node, DataType storage);

// Constants read by nodes, Cast targets, and the bodies of fused layers.
Status convert_nodes(Graph& graph, DataType storage, int64_t onnx_storage,
                     const std::unordered_set<const Node*>& float32_quantizers = {}) {
  ConstantConverter constants(graph, storage);
  std::vector<Node*> nodes;
  for (const auto& n : graph.nodes()) nodes.push_back(n.get());
  for (Node* node : nodes) {
    for (size_t i = 0; i < node->inputs().size(); ++i) {
      Value* v = node->inputs()[i];
      if (v != nullptr && v->is_constant() && v->dtype() == DataType::kFloat32 &&
          !keeps_float32(*node, i, float32_quantizers))
        node->inputs()[i] = constants.converted(v);
    }
    if (node->op_type() == "Cast" && node->attr_int("to") == kOnnxFloat) node->attrs()["to"] = Attribute::of_int(onnx_storage);
    // A quantized layer's float output (int8 ones, with an output scale, stay int8).
    const bool float_output = (is_quantized_layer(*node) && node->input(kQOutputScale) == nullptr) || is_dequantizing_pool(*node);
    if (float_output && node->attr_int("output_dtype", kOnnxFloat) == kOnnxFloat)
      node->attrs()["output_dtype"] = Attribute::of_int(onnx_storage);
    if (node->domain() == kKilnDomain && node->has_attr("body")) KILN_RETURN_IF_ERROR(convert_body(*node, storage));
  }
  return Status::Ok();
}

// A fused layer's body is shared with the graph it was cloned from: convert a copy.
Status convert_body(Node& node, DataType storage) {
  const Attribute* body = node.attr("body");
  std::shared_ptr<Graph> copy = body->g->clone();
  for (Value* in : copy->inputs())
    if (in->dtype() == DataType::kFloat32) in->set_type(storage, in->shape());
  KILN_RETURN_IF_ERROR(convert_nodes(*copy, storage, storage == DataType::kFloat16 ? kOnnxFloat16 : kOnnxBFloat16));
  KILN_RETURN_IF_ERROR(infer_graph_shapes(*copy));
  node.attrs()["body"] = Attribute::of_graph(std::move(copy));
  return Status::Ok();
}

}  // namespace

Status assign_precision(Graph& graph, DataType storage) {
  if (storage == DataType::kFloat32) return Status::Ok();
  if (storage != DataType::kFloat16 && storage != DataType::kBFloat16)
    return invalid_argument("activations can be stored as float32, float16 or bfloat16, not {}", data_type_name(storage));
  const int64_t onnx_storage = storage == DataType::kFloat16 ? kOnnxFloat16 : kOnnxBFloat16;
  const std::string suffix = storage == DataType::kFloat16 ? ".fp16" : ".bf16";
  const std::unordered_set<const Node*> float32_quantizers = graph_input_quantizers(graph);
  // Before the boundary Casts exist: those must keep converting to float32.
  KILN_RETURN_IF_ERROR(convert_nodes(graph, storage, onnx_storage, float32_quantizers));
  // Graph inputs: read through a Cast to 16 bits, unless only quantizers read them.
  for (Value* in : std::vector<Value*>(graph.inputs())) {
    const bool quantized_only = std::any_of(float32_quantizers.begin(), float32_quantizers.end(),
                                            [&](const Node* q) { return q->input(0) == in; });
    if (in->dtype() != DataType::kFloat32 || quantized_only) continue;
    KILN_ASSIGN_OR_RETURN(Value * low, graph.add_value(graph.unique_value_name(in->name() + suffix)));
    graph.replace_uses(in, low);
    KILN_RETURN_IF_ERROR(add_cast(graph, in, low, onnx_storage).status());
  }
  // Graph outputs: their producer writes a 16-bit value, which a Cast turns into the output.
  for (Value* out : std::vector<Value*>(graph.outputs())) {
    Node* producer = out->producer();
    if (out->dtype() != DataType::kFloat32 || producer == nullptr) continue;
    KILN_ASSIGN_OR_RETURN(Value * low, graph.add_value(graph.unique_value_name(out->name() + suffix)));
    for (Value*& o : producer->outputs())
      if (o == out) o = low;
    low->set_producer(producer);
    graph.replace_uses(out, low);
    KILN_RETURN_IF_ERROR(add_cast(graph, low, out, kOnnxFloat).status());
  }
  graph.prune_values();
  KILN_RETURN_IF_ERROR(graph.topological_sort());
  return infer_graph_shapes(graph);
}

}  // namespace kiln
