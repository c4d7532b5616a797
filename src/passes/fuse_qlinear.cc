// Imported operator-form quantized layers, QLinearConv and QLinearMatMul, become kiln.QConv and
// kiln.QMatMul (which backends implement) when they are symmetric int8: X (A) and the constant
// weights int8, every zero point a constant 0, scales constants (x and y per tensor, w per tensor
// or per output channel). The weights keep their int8 values and scales. QLinearConv's int32
// bias B becomes the float bias B * x_scale * w_scale[k]; the quantized op adds it after scaling
// instead of before, which can move a result that lies on a rounding boundary by one step.
// Anything else (uint8, nonzero zero points) stays as imported.
#include "ir/ops/fused_ops.h"
#include "ir/ops/infer_utils.h"
#include "passes/passes.h"
#include "passes/qdq_match.h"
#include "passes/rewrite_util.h"

namespace kiln {

namespace {

bool is_int8_constant(const Value* v) { return v != nullptr && v->is_constant() && v->dtype() == DataType::kInt8; }

bool zero_int8(const Value* v) { return is_int8_constant(v) && v->constant().numel() == 1 && all_zero(v->constant()); }

std::optional<float> scalar_scale(const Value* v) {
  if (v == nullptr || !v->is_constant() || v->dtype() != DataType::kFloat32 || v->constant().numel() != 1)
    return std::nullopt;
  return v->constant().data<float>()[0];
}

// QLinear's w_scale as one value per output channel.
std::optional<Tensor> channel_scales(const Value* v, int64_t channels) {
  if (v == nullptr || !v->is_constant() || v->dtype() != DataType::kFloat32) return std::nullopt;
  const Tensor& s = v->constant();
  if (s.numel() != 1 && s.numel() != channels) return std::nullopt;
  Tensor out(DataType::kFloat32, {channels});
  for (int64_t k = 0; k < channels; ++k) out.data<float>()[k] = s.data<float>()[s.numel() == 1 ? 0 : k];
  return out;
}

// The slots of the two imported ops (QLinearConv adds the bias B at 8).
enum QLinearInput : int { kX, kXScale, kXZero, kW, kWScale, kWZero, kYScale, kYZero, kB };

class FuseQLinear final : public Pass {
 public:
  std::string_view name() const override { return "fuse_qlinear"; }

  Expected<PassResult> run(Graph& graph) override {
    PassResult result;
    std::vector<Node*> nodes;
    for (const auto& n : graph.nodes()) nodes.push_back(n.get());
    for (Node* node : nodes) {
      const bool conv = node->op_type() == "QLinearConv";
      if (!node->domain().empty() || (!conv && node->op_type() != "QLinearMatMul")) continue;
      const Value* x = node->input(kX);
      const Value* w = node->input(kW);
      if (x == nullptr || x->dtype() != DataType::kInt8 || !is_int8_constant(w)) continue;
      if (!zero_int8(node->input(kXZero)) || !zero_int8(node->input(kWZero)) || !zero_int8(node->input(kYZero))) continue;
      const auto x_scale = scalar_scale(node->input(kXScale));
      if (!x_scale || !scalar_scale(node->input(kYScale))) continue;
      if (conv ? w->constant().rank() < 3 : w->constant().rank() != 2) continue;
      const int64_t channels = conv ? w->constant().dim(0) : w->constant().dim(1);
      const auto w_scale = channel_scales(node->input(kWScale), channels);
      if (!w_scale) continue;
      std::vector<Value*> inputs(8, nullptr);
      inputs[kQInput] = node->input(kX);
      inputs[kQWeights] = node->input(kW);
      inputs[kQInputScale] = node->input(kXScale);
      inputs[kQWeightScale] = node->input(kWScale)->constant().numel() == channels && node->input(kWScale)->constant().rank() == 1
                                  ? node->input(kWScale)
                                  : add_constant(graph, node->name() + ".wscale", *w_scale);
      inputs[kQOutputScale] = node->input(kYScale);
      if (conv && node->input(kB) != nullptr) {
        const Value* b = node->input(kB);
        if (!b->is_constant() || b->dtype() != DataType::kInt32 || b->constant().numel() != channels) continue;
        Tensor bias(DataType::kFloat32, {channels});
        for (int64_t k = 0; k < channels; ++k)
          bias.data<float>()[k] = static_cast<float>(b->constant().data<int32_t>()[k]) * (*x_scale * w_scale->data<float>()[k]);
        inputs[kQBias] = add_constant(graph, node->name() + ".bias", bias);
      }
      std::map<std::string, Attribute> attrs;
      if (conv)
        for (const char* a : {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"})
          if (const Attribute* v = node->attr(a)) attrs[a] = *v;
      attrs["output_dtype"] = Attribute::of_int(1);
      const std::string op(conv ? kQConvOp : kQMatMulOp);
      result.events.push_back("rewrote '" + node->name() + "' (" + node->op_type() + " as kiln." + op + ")");
      // The layer keeps its name: erase the original first, naming the new one after a copy.
      const Node original(node->name(), node->op_type(), "", node->opset());
      const std::vector<Value*> outputs = node->outputs();
      graph.erase_nodes({node});
      KILN_ASSIGN_OR_RETURN(Node * fused, add_replacement(graph, {&original}, op, std::string(kKilnDomain), 1, inputs,
                                                          outputs, attrs));
      set_activation_attrs(*fused, Activation{});
    }
    return result;
  }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_qlinear() { return std::make_unique<FuseQLinear>(); }

}  // namespace kiln
