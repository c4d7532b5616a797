// Explicit quantization: DequantizeLinear(int8 or float8e4m3 x) -> Conv / kiln.FusedConv / MatMul /
// Gemm / kiln.FusedMatMul [-> QuantizeLinear] becomes one kiln.QConv or kiln.QMatMul
// (ir/ops/fused_ops.h), whose weights are quantized to X's type.
// It runs after BatchNorm folding and epilogue fusion, so the float weights it quantizes are the
// folded ones (per output channel, symmetric, as TensorRT does) and the layer it replaces already
// carries its bias, residual and activation. Guards: X comes from a per-tensor symmetric int8 (or
// float8e4m3) DQ;
// the weights are float constants (or DQ of constants); the bias is a constant. A residual that
// comes from such a DQ is fused as int8 with its scale, any other as float; the output is int8
// when the layer's only reader is a per-tensor symmetric int8 QuantizeLinear, which goes away.
// FP8 layers (float8e4m3 X) take both only as float: their output is float, and a float8e4m3
// residual keeps its DQ.
// Everything else (uint8, asymmetric, per-channel activations) keeps its Q/DQ nodes, which run as
// ordinary fake-quant ops. The DQ nodes left without readers go with dead-code elimination.
#include "ir/ops/fused_ops.h"
#include "passes/passes.h"
#include "passes/qdq_match.h"
#include "passes/rewrite_util.h"

namespace kiln {

namespace {

// A float layer's operands, normalized to the quantized ops' form.
struct FloatLayer {
  bool conv = false;
  Tensor weights;  // Conv [K, C/g, k...]; MatMul [K, N]
  Tensor bias;     // float32 [channels] or undefined
  Value* residual = nullptr;
  Activation activation;
};

bool is_float32(const Value* v) { return v != nullptr && v->dtype() == DataType::kFloat32; }

// A constant float32 bias with one value per channel (or one for all, from a Gemm's C), times `beta`.
std::optional<Tensor> channel_bias(const Value* v, int64_t channels, float beta = 1.f) {
  if (v == nullptr) return Tensor();
  if (!v->is_constant() || v->dtype() != DataType::kFloat32) return std::nullopt;
  const Tensor& c = v->constant();
  if (c.numel() != channels && c.numel() != 1) return std::nullopt;
  if (c.rank() == 2 && c.dim(0) != 1) return std::nullopt;
  Tensor out(DataType::kFloat32, {channels});
  for (int64_t k = 0; k < channels; ++k) out.data<float>()[k] = beta * c.data<float>()[c.numel() == 1 ? 0 : k];
  return out;
}

// Gemm's B as [K, N] times alpha, and beta * C per column; only transA = 0.
std::optional<FloatLayer> gemm_layer(const Node& gemm) {
  if (gemm.attr_int("transA") != 0) return std::nullopt;
  auto b = float_weights(gemm.input(1));
  if (!b || b->rank() != 2) return std::nullopt;
  FloatLayer l;
  if (gemm.attr_int("transB") != 0) {
    auto bt = compute_constant("Transpose", 13, {{"perm", Attribute::of_ints({1, 0})}}, {&*b});
    if (!bt.ok()) return std::nullopt;
    b = *bt;
  }
  const float alpha = gemm.attr_float("alpha", 1.f);
  l.weights = alpha == 1.f ? *b : b->clone();
  if (alpha != 1.f)
    for (int64_t i = 0; i < l.weights.numel(); ++i) l.weights.data<float>()[i] *= alpha;
  auto bias = channel_bias(gemm.input(2), l.weights.dim(1), gemm.attr_float("beta", 1.f));
  if (!bias) return std::nullopt;
  l.bias = *bias;
  return l;
}

std::optional<FloatLayer> float_layer(const Node& n) {
  if (n.outputs().size() != 1 || !is_float32(n.output(0)) || n.has_attr("output_channels")) return std::nullopt;
  const bool fused = n.domain() == kKilnDomain;
  const std::string& op = n.op_type();
  if (!fused && !n.domain().empty()) return std::nullopt;
  if (!fused && op == "Gemm") return gemm_layer(n);
  FloatLayer l;
  l.conv = fused ? op == kFusedConvOp : op == "Conv";
  if (!l.conv && op != (fused ? kFusedMatMulOp : "MatMul")) return std::nullopt;
  auto w = float_weights(n.input(1));
  if (!w || (l.conv ? w->rank() < 3 : w->rank() != 2)) return std::nullopt;
  l.weights = *w;
  const int64_t channels = l.conv ? w->dim(0) : w->dim(1);
  auto bias = channel_bias(n.input(2), channels);
  if (!bias) return std::nullopt;
  l.bias = *bias;
  if (fused) {
    l.residual = n.input(3);
    l.activation = activation_of_fused(n);
  }
  if (!l.conv && (!n.input(0)->shape().rank_known() || n.input(0)->shape().rank() < 2)) return std::nullopt;
  return l;
}

// The QuantizeLinear that is `y`'s only reader, when it makes symmetric per-tensor int8.
std::optional<PerTensorQuant> output_quantize(const Uses& uses, const Value* y) {
  const Node* reader = uses.sole_reader(y);
  if (reader == nullptr || reader->input(0) != y) return std::nullopt;
  auto q = per_tensor_quant(reader, "QuantizeLinear");
  if (!q || !q->symmetric_int8()) return std::nullopt;
  return q;
}

class FuseQdq final : public Pass {
 public:
  std::string_view name() const override { return "fuse_qdq"; }

  Expected<PassResult> run(Graph& graph) override {
    PassResult result;
    const Uses uses(graph);
    std::vector<const Node*> erased;
    std::vector<Node*> nodes;
    for (const auto& n : graph.nodes()) nodes.push_back(n.get());
    for (Node* node : nodes) {
      const auto x = symmetric_dequantize_producer(node->input(0));
      if (!x) continue;
      auto layer = float_layer(*node);
      if (!layer) continue;
      KILN_ASSIGN_OR_RETURN(Node * fused, fuse(graph, uses, *node, *x, *layer, erased));
      result.events.push_back("fused '" + fused->name() + "' (" + describe(*node, *fused) + ")");
    }
    graph.erase_nodes(erased);
    return result;
  }

 private:
  static Expected<Node*> fuse(Graph& graph, const Uses& uses, const Node& node, const PerTensorQuant& x,
                              const FloatLayer& layer, std::vector<const Node*>& erased) {
    const std::string base = node.name();
    const bool int8 = x.symmetric_int8();
    KILN_ASSIGN_OR_RETURN(ChannelQuantized w, quantize_per_channel(layer.weights, layer.conv ? 0 : 1, x.quantized));
    std::vector<Value*> inputs(8, nullptr);
    inputs[kQInput] = x.node->input(0);
    inputs[kQWeights] = add_constant(graph, base + ".qweight", w.q);
    inputs[kQInputScale] = x.node->input(1);
    inputs[kQWeightScale] = add_constant(graph, base + ".wscale", w.scales);
    if (layer.bias.defined()) {
      // A bias already in the layer's form is shared; a Gemm's beta * C is a new constant.
      Value* b = node.input(2);
      const bool as_is = node.op_type() != "Gemm" && b->constant().dims() == layer.bias.dims();
      inputs[kQBias] = as_is ? b : add_constant(graph, base + ".bias", layer.bias);
    }
    if (layer.residual != nullptr) {
      auto z = int8 ? symmetric_dequantize_producer(layer.residual) : std::nullopt;
      if (z && z->symmetric_int8()) {
        inputs[kQResidual] = z->node->input(0);
        inputs[kQResidualScale] = z->node->input(1);
      } else {
        inputs[kQResidual] = layer.residual;
      }
    }
    std::vector<const Node*> replaced{&node};
    Value* output = node.output(0);
    if (auto y = int8 ? output_quantize(uses, output) : std::nullopt) {
      inputs[kQOutputScale] = y->node->input(1);
      output = y->node->output(0);
      replaced.push_back(y->node);
    }
    // Named after the input's DQ too ("dq1 + conv1 + q2"), which stays for any other readers.
    std::vector<const Node*> named{x.node};
    named.insert(named.end(), replaced.begin(), replaced.end());
    while (inputs.back() == nullptr) inputs.pop_back();
    std::map<std::string, Attribute> attrs;
    if (layer.conv)
      for (const char* a : {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"})
        if (const Attribute* v = node.attr(a)) attrs[a] = *v;
    attrs["output_dtype"] = Attribute::of_int(1);
    KILN_ASSIGN_OR_RETURN(Node * fused, add_replacement(graph, named, std::string(layer.conv ? kQConvOp : kQMatMulOp),
                                                        std::string(kKilnDomain), 1, inputs, {output}, attrs));
    set_activation_attrs(*fused, layer.activation);
    erased.insert(erased.end(), replaced.begin(), replaced.end());
    return fused;
  }

  // "DequantizeLinear -> FusedConv -> QuantizeLinear, int8 residual"
  static std::string describe(const Node& node, const Node& fused) {
    std::string s = "DequantizeLinear -> " + node.op_type();
    if (fused.input(kQOutputScale) != nullptr) s += " -> QuantizeLinear";
    if (fused.input(kQResidual) != nullptr)
      s += fused.input(kQResidualScale) != nullptr ? ", int8 residual" : ", float residual";
    return s;
  }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_qdq() { return std::make_unique<FuseQdq>(); }

}  // namespace kiln
