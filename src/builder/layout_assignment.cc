#include "builder/layout_assignment.h"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/quantized_type.h"
#include "ir/op_schema.h"
#include "ir/ops/fused_ops.h"
#include "ir/shape_inference.h"
#include "passes/rewrite_util.h"

namespace kiln {

namespace {

const std::vector<int64_t> kToChannelsLast = {0, 2, 3, 1};
const std::vector<int64_t> kToChannelsFirst = {0, 3, 1, 2};

bool rank4(const Value* v) { return v != nullptr && v->shape().rank_known() && v->shape().rank() == 4; }

bool is_float(const Value* v) { return v != nullptr && is_floating(v->dtype()); }

bool is_conv(const Node& n) {
  const std::string& op = n.op_type();
  return (op == "Conv" && n.domain().empty()) ||
         (n.domain() == kKilnDomain && (op == kFusedConvOp || op == kQConvOp));
}

// The residual input of a fused convolution (channels-last like X), or -1.
int residual_input(const Node& n) {
  if (n.domain() != kKilnDomain) return -1;
  return n.op_type() == kFusedConvOp ? 3 : n.op_type() == kQConvOp ? static_cast<int>(kQResidual) : -1;
}

// Convolutions and pools on 4-D tensors: the layers channels-last is for. The quantized
// convolution takes int8 or float8e4m3 X; its scales and bias are per-channel vectors, unchanged.
bool wants_channels_last(const Node& n) {
  const std::string& op = n.op_type();
  if (is_conv(n)) {
    const Value* x = n.input(0);
    const Value* w = n.input(1);
    const bool x_type = op == kQConvOp ? x != nullptr && is_symmetric_quantized_type(x->dtype()) : is_float(x);
    const int z = residual_input(n);
    return rank4(x) && x_type && w != nullptr && w->is_constant() && rank4(w) && n.outputs().size() == 1 &&
           (z < 0 || n.input(z) == nullptr || rank4(n.input(z)));
  }
  // The dequantizing global pool reads the int8 output of a channels-last quantized conv.
  if (n.domain() == kKilnDomain && op == kQGlobalAveragePoolOp) {
    const Value* x = n.input(0);
    return rank4(x) && (x->dtype() == DataType::kInt8 || x->dtype() == DataType::kUInt8);
  }
  if (!n.domain().empty()) return false;
  // MaxPool also on int8: INT8 engines pool their quantized activations (the GPU kernel takes both).
  const bool byte_max_pool = op == "MaxPool" && n.input(0) != nullptr && n.input(0)->dtype() == DataType::kInt8;
  if (op == "MaxPool" || op == "AveragePool")
    return rank4(n.input(0)) && (is_float(n.input(0)) || byte_max_pool) &&
           (n.outputs().size() == 1 || n.output(1) == nullptr);
  if (op == "GlobalAveragePool" || op == "GlobalMaxPool") return rank4(n.input(0)) && is_float(n.input(0));
  return false;
}

// Ops that compute the same thing in any layout, given physical shapes and remapped axes.
bool layout_agnostic(const Node& n) {
  static const std::set<std::string> ops = {
      "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Clip", "HardSigmoid", "HardSwish", "Elu", "Selu", "Softplus",
      "Softsign", "Erf", "Exp", "Log", "Abs", "Neg", "Sqrt", "Reciprocal", "Identity", "Cast", "Gelu", "Floor",
      "Ceil", "Round", "Sign", "Sin", "Cos", "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean",
      "PRelu", "Concat", "Split"};
  if (n.domain() == kKilnDomain) return n.op_type() == kPointwiseOp;
  if (!n.domain().empty()) return false;
  // Per-tensor (de)quantization is elementwise; per-axis parameters name a logical axis.
  if (n.op_type() == "QuantizeLinear" || n.op_type() == "DequantizeLinear")
  {
    const auto scale_dims = n.input(1) != nullptr ? n.input(1)->shape().static_dims() : std::nullopt;
    return scale_dims && checked_numel(*scale_dims) == 1;
  }
  if (n.op_type() == "Dropout") return n.outputs().size() == 1 || n.output(1) == nullptr;
  return ops.count(n.op_type()) != 0;
}

// Where logical axis `axis` of a 4-D tensor sits in its channels-last bytes.
int64_t physical_axis(int64_t axis) {
  if (axis < 0) axis += 4;
  static const int64_t where[4] = {0, 3, 1, 2};
  return axis >= 0 && axis < 4 ? where[axis] : axis;
}

class LayoutAssigner {
 public:
  explicit LayoutAssigner(Graph& graph) : graph_(graph) {}

  Expected<LayoutReport> run() {
    std::unordered_set<std::string> captured;
    for (const auto& n : graph_.nodes())
      for (const std::string& name : captured_names(*n)) captured.insert(name);
    std::vector<Node*> nodes;
    for (const auto& n : graph_.nodes()) nodes.push_back(n.get());
    for (Node* node : nodes) {
      bool pinned = false;
      for (const Value* v : node->outputs()) pinned = pinned || (v != nullptr && captured.count(v->name()));
      if (!pinned && wants_channels_last(*node)) {
        KILN_RETURN_IF_ERROR(wrap(node));
        continue;
      }
      if (!pinned && layout_agnostic(*node) && region_can_extend(*node)) {
        KILN_RETURN_IF_ERROR(extend_region(node));
        continue;
      }
      // Any other reader sees the usual layout.
      for (Value*& in : node->inputs())
        if (in != nullptr && nhwc_.count(in)) {
          KILN_ASSIGN_OR_RETURN(in, reformat(in, false));
        }
    }
    KILN_RETURN_IF_ERROR(restore_graph_outputs());
    graph_.erase_nodes(doomed_);
    graph_.prune_values();
    KILN_RETURN_IF_ERROR(graph_.topological_sort());
    KILN_RETURN_IF_ERROR(infer_graph_shapes(graph_));
    return report_;
  }

 private:
  // An agnostic node joins the region when one of its inputs is channels-last and every other
  // input can be made so: 4-D tensors (reformatted) and constants (permuted).
  bool region_can_extend(const Node& n) const {
    bool any = false;
    for (const Value* in : n.inputs()) {
      if (in == nullptr) continue;
      if (nhwc_.count(in)) {
        any = true;
        continue;
      }
      if (!in->shape().rank_known()) return false;
      if (in->is_constant()) {
        if (in->shape().rank() > 4) return false;
        continue;
      }
      if (rank4(in)) continue;
      auto dims = in->shape().static_dims();
      if (!dims || checked_numel(*dims) != 1) return false;  // only scalars broadcast the same in both layouts
    }
    if ((n.op_type() == "Concat" || n.op_type() == "Split") && !std::all_of(n.outputs().begin(), n.outputs().end(), rank4))
      return false;
    return any;
  }

  Status extend_region(Node* node) {
    for (size_t i = 0; i < node->inputs().size(); ++i) {
      Value*& in = node->inputs()[i];
      if (in == nullptr || nhwc_.count(in)) continue;
      if (in->is_constant()) {
        if (in->shape().rank() >= 1 && in->constant().numel() > 1) {
          KILN_ASSIGN_OR_RETURN(in, permuted_constant(in));
        }
      } else if (rank4(in)) {
        KILN_ASSIGN_OR_RETURN(in, reformat(in, true));
      }
    }
    if (node->has_attr("axis") && (node->op_type() == "Concat" || node->op_type() == "Split"))
      node->attrs()["axis"] = Attribute::of_int(physical_axis(node->attr_int("axis")));
    if (node->op_type() == kPointwiseOp) KILN_RETURN_IF_ERROR(permute_body_constants(*node));
    for (Value* out : node->outputs())
      if (out != nullptr) nhwc_.insert(out);
    ++report_.region_layers;
    return Status::Ok();
  }

  // Replaces `node` by a kiln.ChannelsLast layer holding it.
  Status wrap(Node* node) {
    const bool conv = is_conv(*node);
    const int residual = residual_input(*node);
    auto body = std::make_shared<Graph>();
    Node* inner = body->add_node(node->name(), node->op_type(), node->domain(), node->opset());
    inner->attrs() = node->attrs();
    inner->set_schema(node->schema());
    std::vector<Value*> layer_inputs;
    std::vector<int64_t> flags;
    for (size_t i = 0; i < node->inputs().size(); ++i) {
      Value* in = node->inputs()[i];
      if (in == nullptr) {
        inner->inputs().push_back(nullptr);
        continue;
      }
      Value* formal = body->get_or_add_value("in" + std::to_string(i));
      formal->set_type(in->dtype(), in->shape());
      body->inputs().push_back(formal);
      inner->inputs().push_back(formal);
      // X, the weights and the residual are channels-last; a bias is a vector either way.
      const bool channels_last = i == 0 || (conv && i == 1) || static_cast<int>(i) == residual;
      if (channels_last && in->is_constant()) {
        KILN_ASSIGN_OR_RETURN(in, permuted_constant(in));
      } else if (channels_last && !nhwc_.count(in)) {
        KILN_ASSIGN_OR_RETURN(in, reformat(in, true));
      }
      layer_inputs.push_back(in);
      flags.push_back(channels_last ? 1 : 0);
    }
    for (size_t i = 0; i < node->outputs().size(); ++i) {
      Value* formal = body->get_or_add_value("out" + std::to_string(i));
      inner->outputs().push_back(formal);
      formal->set_producer(inner);
      body->outputs().push_back(formal);
    }
    const OpSchema* schema = OpRegistry::global().find(kChannelsLastOp, kKilnDomain);
    Node* layer = graph_.add_node(graph_.unique_node_name(node->name() + " (nhwc)"), std::string(kChannelsLastOp),
                                  std::string(kKilnDomain), 1);
    layer->inputs() = std::move(layer_inputs);
    layer->outputs() = node->outputs();
    layer->attrs()["body"] = Attribute::of_graph(std::move(body));
    layer->attrs()["nhwc_inputs"] = Attribute::of_ints(flags);
    layer->set_schema(schema);
    KILN_RETURN_IF_ERROR(schema->check_and_fill_defaults(*layer));
    for (Value* out : layer->outputs())
      if (out != nullptr) {
        out->set_producer(layer);
        nhwc_.insert(out);
      }
    node->outputs().clear();
    doomed_.push_back(node);
    ++report_.channels_last_layers;
    return Status::Ok();
  }

  // The value in the other layout, through one Transpose shared by all readers.
  Expected<Value*> reformat(Value* v, bool to_channels_last) {
    auto& cache = to_channels_last ? to_nhwc_ : to_nchw_;
    if (auto it = cache.find(v); it != cache.end()) return it->second;
    KILN_ASSIGN_OR_RETURN(Value * out, graph_.add_value(graph_.unique_value_name(
                                           v->name() + (to_channels_last ? ".nhwc" : ".nchw"))));
    KILN_RETURN_IF_ERROR(add_transpose(v, out, to_channels_last).status());
    if (to_channels_last) nhwc_.insert(out);
    cache[v] = out;
    return out;
  }

  Expected<Node*> add_transpose(Value* in, Value* out, bool to_channels_last) {
    const OpSchema* schema = OpRegistry::global().find("Transpose", "");
    Node* t = graph_.add_node(graph_.unique_node_name(out->name() + ".reformat"), "Transpose", "", 13);
    t->inputs() = {in};
    t->outputs() = {out};
    t->attrs()["perm"] = Attribute::of_ints(to_channels_last ? kToChannelsLast : kToChannelsFirst);
    t->set_schema(schema);
    out->set_producer(t);
    KILN_RETURN_IF_ERROR(schema->check_and_fill_defaults(*t));
    ++report_.reformats;
    return t;
  }

  // A constant broadcast against channels-last tensors: right-aligned to 4-D, then permuted.
  Expected<Value*> permuted_constant(Value* v) {
    if (auto it = permuted_.find(v); it != permuted_.end()) return it->second;
    Tensor t = v->constant();
    std::vector<int64_t> dims = t.dims();
    while (dims.size() < 4) dims.insert(dims.begin(), 1);
    Tensor expanded = t.reshaped(dims);
    KILN_ASSIGN_OR_RETURN(Tensor p, compute_constant("Transpose", 13, {{"perm", Attribute::of_ints(kToChannelsLast)}},
                                                     {&expanded}));
    Value* c = add_constant(graph_, v->name() + ".nhwc", std::move(p));
    permuted_[v] = c;
    return c;
  }

  // A Pointwise body's constants broadcast against the layer's (now channels-last) inputs.
  Status permute_body_constants(Node& node) {
    std::shared_ptr<Graph> body = node.attr("body")->g->clone();
    LayoutAssigner inner(*body);
    for (const auto& n : body->nodes())
      for (Value*& in : n->inputs())
        if (in != nullptr && in->is_constant() && in->shape().rank_known() && in->shape().rank() >= 1 &&
            in->constant().numel() > 1) {
          KILN_ASSIGN_OR_RETURN(in, inner.permuted_constant(in));
        }
    for (Value* in : body->inputs()) in->set_type(in->dtype(), Shape::unknown());
    body->prune_values();
    node.attrs()["body"] = Attribute::of_graph(std::move(body));
    return Status::Ok();
  }

  // Graph outputs keep the usual layout: the producer writes a channels-last value that a
  // reformat turns into the output.
  Status restore_graph_outputs() {
    for (Value* out : std::vector<Value*>(graph_.outputs())) {
      if (!nhwc_.count(out)) continue;
      Node* producer = out->producer();
      KILN_ASSIGN_OR_RETURN(Value * inner, graph_.add_value(graph_.unique_value_name(out->name() + ".nhwc")));
      for (Value*& o : producer->outputs())
        if (o == out) o = inner;
      inner->set_producer(producer);
      graph_.replace_uses(out, inner);
      nhwc_.insert(inner);
      KILN_RETURN_IF_ERROR(add_transpose(inner, out, false).status());
    }
    return Status::Ok();
  }

  Graph& graph_;
  std::unordered_set<const Value*> nhwc_;
  std::unordered_map<const Value*, Value*> to_nhwc_, to_nchw_, permuted_;
  std::vector<const Node*> doomed_;
  LayoutReport report_;
};

}  // namespace

Expected<LayoutReport> assign_channels_last(Graph& graph) { return LayoutAssigner(graph).run(); }

Status split_multi_output_layers(Graph& graph) {
  std::vector<Node*> nodes;
  for (const auto& n : graph.nodes()) nodes.push_back(n.get());
  for (Node* node : nodes) {
    if (node->domain() != kKilnDomain || node->outputs().size() < 2) continue;
    const bool conv = node->op_type() == kFusedConvOp;
    if (!conv && node->op_type() != kFusedMatMulOp) continue;
    const std::vector<int64_t> sizes = node->attr_ints("output_channels");
    KILN_ASSIGN_OR_RETURN(Value * full, graph.add_value(graph.unique_value_name(node->name() + ".out")));
    std::vector<Value*> parts = node->outputs();
    node->outputs() = {full};
    full->set_producer(node);
    node->attrs().erase("output_channels");
    Value* split_sizes = add_constant(graph, node->name() + ".split",
                                      Tensor::wrap(DataType::kInt64, {static_cast<int64_t>(sizes.size())},
                                                   const_cast<int64_t*>(sizes.data()), nullptr)
                                          .clone());
    const OpSchema* schema = OpRegistry::global().find("Split", "");
    Node* split = graph.add_node(graph.unique_node_name(node->name() + ".split"), "Split", "", 13);
    split->inputs() = {full, split_sizes};
    split->outputs() = parts;
    split->attrs()["axis"] = Attribute::of_int(conv ? 1 : -1);
    split->set_schema(schema);
    for (Value* p : parts)
      if (p != nullptr) p->set_producer(split);
    KILN_RETURN_IF_ERROR(schema->check_and_fill_defaults(*split));
  }
  KILN_RETURN_IF_ERROR(graph.topological_sort());
  return infer_graph_shapes(graph);
}

}  // namespace kiln
