#include "ir/ops/fused_ops.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

// The float a constant scalar input holds, when it holds exactly that float.
std::optional<float> constant_float(const Value* v) {
  if (v == nullptr || !v->is_constant() || v->constant().numel() != 1) return std::nullopt;
  auto values = tensor_to_doubles(v->constant());
  if (!values.ok()) return std::nullopt;
  const double d = (*values)[0];
  if (static_cast<double>(static_cast<float>(d)) != d) return std::nullopt;
  return static_cast<float>(d);
}

}  // namespace

std::string Activation::describe() const {
  // The gated forms exporters write for SiLU and HardSwish go by those names.
  if (gated && op == "Sigmoid") return "SiLU";
  if (gated && op == "HardSigmoid" && std::abs(alpha - 1.f / 6) < 1e-6f && beta == 0.5f) return "HardSwish";
  std::string s = op;
  if (op == "Clip" || op == "HardSigmoid") s += fmt::format("({:g}, {:g})", alpha, beta);
  else if (op == "LeakyRelu" || op == "Elu") s += fmt::format("({:g})", alpha);
  return gated ? "x * " + s + "(x)" : s;
}

std::optional<Activation> activation_of_node(const Node& node) {
  if (!node.domain().empty() || node.outputs().size() != 1) return std::nullopt;
  const std::string& op = node.op_type();
  Activation act{op};
  if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "Softplus" || op == "Mish" || op == "HardSwish")
    return act;
  if (op == "LeakyRelu" || op == "Elu") {
    act.alpha = node.attr_float("alpha");
    return act;
  }
  if (op == "HardSigmoid") {
    act.alpha = node.attr_float("alpha");
    act.beta = node.attr_float("beta");
    return act;
  }
  if (op == "Gelu") {
    if (node.attr_string("approximate", "none") != "none") return std::nullopt;
    return act;
  }
  if (op == "Clip") {
    act.alpha = std::numeric_limits<float>::lowest();
    act.beta = std::numeric_limits<float>::max();
    if (node.opset() < 11) {
      act.alpha = node.attr_float("min", act.alpha);
      act.beta = node.attr_float("max", act.beta);
      return act;
    }
    for (int i = 1; i <= 2; ++i) {
      if (node.input(i) == nullptr) continue;
      auto bound = constant_float(node.input(i));
      if (!bound) return std::nullopt;
      (i == 1 ? act.alpha : act.beta) = *bound;
    }
    return act;
  }
  return std::nullopt;
}

Activation activation_of_fused(const Node& fused) {
  Activation act;
  act.op = fused.attr_string("activation");
  act.alpha = fused.attr_float("activation_alpha");
  act.beta = fused.attr_float("activation_beta");
  act.gated = fused.attr_int("activation_gated") != 0;
  return act;
}

void set_activation_attrs(Node& fused, const Activation& act) {
  fused.attrs()["activation"] = Attribute::of_string(act.op);
  fused.attrs()["activation_alpha"] = Attribute::of_float(act.alpha);
  fused.attrs()["activation_beta"] = Attribute::of_float(act.beta);
  fused.attrs()["activation_gated"] = Attribute::of_int(act.gated ? 1 : 0);
}

Node activation_node(const Activation& act) {
  // Clip's bounds are attributes up to opset 10, which keeps the node free of constant inputs.
  if (act.op == "Clip")
    return standalone_node("Clip", 10, {{"min", Attribute::of_float(act.alpha)}, {"max", Attribute::of_float(act.beta)}});
  std::map<std::string, Attribute> attrs;
  if (act.op == "LeakyRelu" || act.op == "Elu" || act.op == "HardSigmoid") attrs["alpha"] = Attribute::of_float(act.alpha);
  if (act.op == "HardSigmoid") attrs["beta"] = Attribute::of_float(act.beta);
  return standalone_node(act.op, 17, std::move(attrs));
}

bool is_shortcut_conv_pair(const Node& first, const Node& second) {
  const auto qconv = [](const Node& n) { return n.domain() == kKilnDomain && n.op_type() == kQConvOp; };
  return qconv(first) && qconv(second) && first.outputs().size() == 1 &&
         second.input(kQResidual) == first.outputs().front();
}

Node standalone_node(std::string op_type, int opset, std::map<std::string, Attribute> attrs) {
  Node node(op_type, op_type, "", opset);
  node.attrs() = std::move(attrs);
  if (const OpSchema* schema = OpRegistry::global().find(op_type, "")) {
    node.set_schema(schema);
    // Only the attribute defaults matter here: the node has no inputs or outputs to check.
    for (const AttrSpec& spec : schema->attr_specs)
      if (!node.has_attr(spec.name) && spec.default_value) node.attrs()[spec.name] = *spec.default_value;
  }
  return node;
}

}  // namespace kiln
