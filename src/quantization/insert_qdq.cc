#include "quantization/insert_qdq.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_set>

#include "core/error.h"
#include "core/quantized_type.h"
#include "ir/op_schema.h"
#include "ir/ops/fused_ops.h"
#include "ir/shape_inference.h"
#include "passes/rewrite_util.h"

namespace kiln {

namespace {

bool is_quantized_layer(const Node& n) {
  if (n.domain().empty()) return n.op_type() == "Conv" || n.op_type() == "MatMul" || n.op_type() == "Gemm";
  return n.domain() == kKilnDomain && (n.op_type() == kFusedConvOp || n.op_type() == kFusedMatMulOp);
}

bool is_float_activation(const Value* v) {
  return v != nullptr && !v->is_constant() && v->dtype() == DataType::kFloat32;
}

// The default domain's opset of the graph, at least 13 (per-axis scales, the form the fusion
// pass and the CUDA kernels know).
int onnx_opset(const Graph& graph) {
  int opset = 13;
  for (const auto& n : graph.nodes())
    if (n->domain().empty()) opset = std::max(opset, n->opset());
  return opset;
}

Expected<Node*> add_node(Graph& graph, const std::string& name, const std::string& op_type, int opset,
                         std::vector<Value*> inputs, Value* output) {
  const OpSchema* schema = OpRegistry::global().find(op_type, "");
  if (schema == nullptr) return internal_error("no schema for {}", op_type);
  Node* node = graph.add_node(graph.unique_node_name(name), op_type, "", opset);
  node->inputs() = std::move(inputs);
  node->outputs() = {output};
  node->set_schema(schema);
  output->set_producer(node);
  Status s = schema->check_and_fill_defaults(*node);
  if (!s.ok()) return internal_error("{}: {}", node->describe(), s.message());
  return node;
}

// The INT8 tensor-core kernels (cuDNN's convolutions, cuBLASLt's IMMA GEMMs) take channel and
// matrix sizes that are multiples of 4; the FP8 ones (cuDNN's FP8 convolutions, cuBLASLt's FP8
// GEMMs with their "TN" layout) multiples of 16. Other layers (depthwise convolutions, a 10-way
// classifier) stay in float: they hold little of the arithmetic and a kernel without tensor cores
// would be slower than float. INT8 makes one exception, the space-to-depth stem below.
bool fits_tensor_cores(const Node& node, DataType type) {
  const int64_t multiple = type == DataType::kFloat8E4M3 ? 16 : 4;
  const std::vector<int64_t>& w = node.input(1)->constant().dims();
  if (w.size() < 2) return false;
  const bool conv = node.op_type() == "Conv" || node.op_type() == kFusedConvOp;
  const int64_t a = conv ? w[0] : w[w.size() - 2], b = conv ? w[1] : w.back();
  return a % multiple == 0 && b % multiple == 0;
}

// The output-channel multiple of Kiln's int8 implicit GEMM (kIgemmChannelMultiple in
// backends/cuda/kernels/igemm/igemm_int8_conv.h, which this library cannot include).
constexpr int64_t kInt8StemOutputChannelMultiple = 16;

// An image stem INT8 quantizes although its 1 to 4 input channels fit no tensor-core kernel: a
// 2-D convolution W [K, C <= 4, R, S], group 1, stride 2x2, no dilation, K a multiple of 16. The
// CUDA backend rewrites it into a stride-1 convolution over 2x2 space-to-depth blocks of 16
// channels (backends/cuda/cudnn/space_to_depth_stem.h) and runs that on the int8 implicit GEMM
// (kiln_s2d_igemm_int8_conv): in float the stem chain (cast, transpose, FP16 convolution, pool,
// quantize) was a fifth of ResNet-50's INT8 plan. The first layer is the most sensitive to
// quantization: bench/ocr_int8_agreement.py checks it (PP-OCRv4's detector has such a stem), and
// --accuracy-budget keeps it in float where it costs too much.
bool is_int8_space_to_depth_stem(const Node& node) {
  if (node.op_type() != "Conv" && node.op_type() != kFusedConvOp) return false;
  const std::vector<int64_t>& w = node.input(1)->constant().dims();
  if (w.size() != 4 || w[1] > 4 || w[0] % kInt8StemOutputChannelMultiple != 0) return false;
  const std::vector<int64_t> ones = {1, 1};
  return node.attr_int("group", 1) == 1 && node.attr_ints("strides", ones) == std::vector<int64_t>{2, 2} &&
         node.attr_ints("dilations", ones) == ones;
}

// Zero (the only zero point either type takes) as a scalar of `type`.
Tensor zero_scalar(DataType type) {
  Tensor zero(type, {});
  *zero.data<uint8_t>() = 0;  // +0 in both int8 and float8e4m3
  return zero;
}

// The slots of a conv or matmul with constant weights that `type` quantizes (see
// quantized_input_slots).
std::vector<int> layer_slots(const Node& node, DataType type) {
  if (!is_quantized_layer(node) || node.input(1) == nullptr || !node.input(1)->is_constant()) return {};
  const bool int8_stem = type == DataType::kInt8 && is_int8_space_to_depth_stem(node);
  if (!fits_tensor_cores(node, type) && !int8_stem) return {};
  std::vector<int> slots;
  if (is_float_activation(node.input(0))) slots.push_back(0);
  if (type == DataType::kInt8 && node.domain() == kKilnDomain && is_float_activation(node.input(3))) slots.push_back(3);
  return slots;
}

// When `node` is a GlobalAveragePool whose input int8 quantizes: the layer writing that input,
// a conv or matmul whose X is quantized and whose output only the pool reads (so fuse_qdq makes
// its output int8). Else null. FP8 layers write float, and FP8 has no such pool kernel.
const Node* quantized_layer_before_pool(const Node& node, const Uses& uses, DataType type) {
  if (type != DataType::kInt8 || !node.domain().empty() || node.op_type() != "GlobalAveragePool") return nullptr;
  const Value* x = node.input(0);
  if (!is_float_activation(x) || !x->shape().rank_known() || x->shape().rank() < 3 || uses.sole_reader(x) != &node)
    return nullptr;
  const Node* layer = x->producer();
  if (layer == nullptr || layer->outputs().size() != 1) return nullptr;
  const std::vector<int> slots = layer_slots(*layer, type);
  return std::find(slots.begin(), slots.end(), 0) != slots.end() ? layer : nullptr;
}

}  // namespace

std::vector<int> quantized_input_slots(const Node& node, const Uses& uses, DataType type) {
  if (quantized_layer_before_pool(node, uses, type) != nullptr) return {0};
  return layer_slots(node, type);
}

std::vector<const Value*> quantized_activations(const Graph& graph, DataType type) {
  const Uses uses(graph);
  std::vector<const Value*> values;
  std::unordered_set<const Value*> seen;
  for (const auto& n : graph.nodes())
    for (int slot : quantized_input_slots(*n, uses, type))
      if (seen.insert(n->input(slot)).second) values.push_back(n->input(slot));
  return values;
}

bool quantized_for_pool(const Graph& graph, const Value* value, DataType type) {
  const Uses uses(graph);
  const Node* reader = uses.sole_reader(value);
  return reader != nullptr && quantized_layer_before_pool(*reader, uses, type) != nullptr;
}

Expected<int> insert_qdq(Graph& graph, const std::vector<std::pair<const Value*, float>>& scales, DataType type) {
  if (!is_symmetric_quantized_type(type))
    return internal_error("Q/DQ pairs quantize to int8 or float8e4m3, not {}", data_type_name(type));
  const int opset = onnx_opset(graph);
  std::unordered_set<std::string> chosen;
  for (const auto& [value, scale] : scales) chosen.insert(value->name());
  // Which slots read each value, found before any rewiring. A pool's input whose layer stays
  // float stays float too: the layer could not write int8, and a separate QuantizeLinear would
  // cost more than the pool saves.
  const Uses uses(graph);
  std::map<const Value*, std::vector<std::pair<Node*, int>>> readers;
  std::unordered_set<const Value*> after_float_layer;
  for (const auto& n : graph.nodes())
    for (int slot : quantized_input_slots(*n, uses, type)) {
      const Node* layer = quantized_layer_before_pool(*n, uses, type);
      if (layer != nullptr && !chosen.count(layer->input(0)->name())) {
        after_float_layer.insert(n->input(slot));
        continue;
      }
      readers[n->input(slot)].emplace_back(n.get(), slot);
    }
  int pairs = 0;
  for (const auto& [value, scale] : scales) {
    if (!(scale > 0.f) || !std::isfinite(scale))
      return invalid_argument("tensor '{}': the {} scale must be positive and finite, got {}", value->name(),
                              quantized_type_tag(type), scale);
    auto it = readers.find(value);
    if (it == readers.end() && after_float_layer.count(value)) continue;
    if (it == readers.end())
      return invalid_argument("tensor '{}' is not an input that {} quantizes", value->name(), quantized_type_tag(type));
    Value* x = graph.find_value(value->name());
    Tensor scale_tensor(DataType::kFloat32, {});
    *scale_tensor.data<float>() = scale;
    Tensor zero_tensor = zero_scalar(type);
    Value* scale_value = add_constant(graph, x->name() + "_scale", std::move(scale_tensor));
    Value* zero_point = add_constant(graph, x->name() + "_zero_point", std::move(zero_tensor));
    KILN_ASSIGN_OR_RETURN(Value * quantized, graph.add_value(graph.unique_value_name(x->name() + "_quantized")));
    KILN_ASSIGN_OR_RETURN(Value * dequantized, graph.add_value(graph.unique_value_name(x->name() + "_dequantized")));
    KILN_RETURN_IF_ERROR(
        add_node(graph, x->name() + "_quantize", "QuantizeLinear", opset, {x, scale_value, zero_point}, quantized)
            .status());
    KILN_RETURN_IF_ERROR(add_node(graph, x->name() + "_dequantize", "DequantizeLinear", opset,
                                  {quantized, scale_value, zero_point}, dequantized)
                             .status());
    for (auto [node, slot] : it->second) node->inputs()[static_cast<size_t>(slot)] = dequantized;
    ++pairs;
  }
  KILN_RETURN_IF_ERROR(graph.topological_sort());
  KILN_RETURN_IF_ERROR(infer_graph_shapes(graph));
  return pairs;
}

}  // namespace kiln
