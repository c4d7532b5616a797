// Horizontal fusion: sibling layers that read the same tensor and differ only in their weights
// become one wider layer whose outputs are channel slices of its result.
//  * Conv / FusedConv with the same kernel size, strides, pads and dilations, group 1, the same
//    activation and no residual (GoogLeNet's Inception 1x1 branches): weights and biases
//    concatenated along the output channels.
//  * MatMul / FusedMatMul with constant 2-D weights, the same activation and no residual
//    (separate Q, K and V projections): weights concatenated along N.
// The slices are the original output values, so every reader is untouched.
#include <algorithm>
#include <map>
#include <tuple>

#include "ir/ops/conv_geometry.h"
#include "ir/ops/fused_ops.h"
#include "passes/passes.h"
#include "passes/rewrite_util.h"

namespace kiln {

namespace {

bool is_conv(const Node& n) {
  return (n.domain().empty() && n.op_type() == "Conv") || (n.domain() == kKilnDomain && n.op_type() == kFusedConvOp);
}
bool is_matmul(const Node& n) {
  return (n.domain().empty() && n.op_type() == "MatMul") ||
         (n.domain() == kKilnDomain && n.op_type() == kFusedMatMulOp);
}

// What siblings must share to merge; nullopt when `n` cannot take part.
std::optional<std::string> merge_key(const Node& n, const Value* x) {
  const Value* w = n.input(1);
  const Value* b = n.input(2);
  const Value* y = n.output(0);
  const bool conv = is_conv(n);
  if ((!conv && !is_matmul(n)) || n.input(0) != x || n.outputs().size() != 1 || y == nullptr) return std::nullopt;
  if (!w || !w->is_constant() || (b && (!b->is_constant() || b->constant().rank() != 1)) || n.input(3) != nullptr)
    return std::nullopt;
  if (!is_floating(y->dtype()) || w->dtype() != y->dtype() || (b && b->dtype() != y->dtype())) return std::nullopt;
  const Activation act = n.domain().empty() ? Activation{} : activation_of_fused(n);
  std::string key = fmt::format("{} {} {} {} {} {}", conv ? "conv" : "matmul", static_cast<int>(y->dtype()), act.op,
                                act.alpha, act.beta, act.gated);
  const Tensor& wt = w->constant();
  if (!conv) {
    if (wt.rank() != 2) return std::nullopt;
    return key + fmt::format(" K={}", wt.dim(0));
  }
  if (n.attr_int("group", 1) != 1 || !x->shape().is_static() || wt.rank() != x->shape().rank()) return std::nullopt;
  const auto xdims = *x->shape().static_dims();
  auto g = conv_geometry(n, std::vector<int64_t>(xdims.begin() + 2, xdims.end()),
                         std::vector<int64_t>(wt.dims().begin() + 2, wt.dims().end()), false);
  if (!g.ok()) return std::nullopt;
  return key + fmt::format(" C={} k={} s={} d={} p={} {}", wt.dim(1), dims_to_string(g->kernel), dims_to_string(g->strides),
                           dims_to_string(g->dilations), dims_to_string(g->pads_begin), dims_to_string(g->pads_end));
}

// Merges `siblings` (all reading `x`) into one layer.
Expected<Node*> merge(Graph& graph, const std::vector<const Node*>& siblings) {
  const Node& first = *siblings.front();
  const bool conv = is_conv(first);
  const int channel_axis = conv ? 0 : 1;  // of the weights
  std::vector<const Tensor*> weights, biases;
  std::vector<Tensor> zero_biases;
  std::vector<int64_t> channels;
  bool any_bias = false;
  for (const Node* n : siblings) {
    weights.push_back(&n->input(1)->constant());
    channels.push_back(weights.back()->dim(channel_axis));
    any_bias |= n->input(2) != nullptr;
  }
  zero_biases.reserve(siblings.size());
  for (size_t i = 0; i < siblings.size(); ++i) {
    if (const Value* b = siblings[i]->input(2)) {
      biases.push_back(&b->constant());
    } else {
      zero_biases.emplace_back(weights[i]->dtype(), std::vector<int64_t>{channels[i]});
      biases.push_back(&zero_biases.back());
    }
  }
  const std::string name = fused_name(siblings);
  KILN_ASSIGN_OR_RETURN(Tensor w, compute_constant("Concat", 13, {{"axis", Attribute::of_int(channel_axis)}}, weights));
  std::vector<Value*> inputs{first.input(0), add_constant(graph, name + ".weight", w)};
  if (any_bias) {
    KILN_ASSIGN_OR_RETURN(Tensor b, compute_constant("Concat", 13, {{"axis", Attribute::of_int(0)}}, biases));
    inputs.push_back(add_constant(graph, name + ".bias", b));
  }
  std::map<std::string, Attribute> attrs;
  for (const auto& [key, a] : first.attrs())
    if (key != "output_channels") attrs[key] = a;
  attrs["output_channels"] = Attribute::of_ints(channels);
  std::vector<Value*> outputs;
  for (const Node* n : siblings) outputs.push_back(n->output(0));
  return add_replacement(graph, siblings, std::string(conv ? kFusedConvOp : kFusedMatMulOp), std::string(kKilnDomain),
                         1, inputs, outputs, std::move(attrs));
}

class FuseSiblingConvs final : public Pass {
 public:
  std::string_view name() const override { return "fuse_sibling_convs"; }

  Expected<PassResult> run(Graph& graph) override {
    PassResult result;
    const Uses uses(graph);
    std::vector<std::vector<const Node*>> groups;
    std::unordered_set<const Value*> seen;
    for (const auto& node : graph.nodes()) {
      Value* x = node->input(0);
      if (x == nullptr || !seen.insert(x).second) continue;
      // Readers of x by merge key, in node order.
      std::vector<std::pair<std::string, std::vector<const Node*>>> by_key;
      for (const Node* reader : uses.readers(x)) {
        const auto key = merge_key(*reader, x);
        if (!key) continue;
        auto it = std::find_if(by_key.begin(), by_key.end(), [&](const auto& e) { return e.first == *key; });
        if (it == by_key.end()) by_key.push_back({*key, {reader}});
        else if (std::find(it->second.begin(), it->second.end(), reader) == it->second.end()) it->second.push_back(reader);
      }
      for (auto& [key, members] : by_key)
        if (members.size() >= 2) groups.push_back(std::move(members));
    }
    std::vector<const Node*> erased;
    for (const auto& siblings : groups) {
      KILN_ASSIGN_OR_RETURN(Node * merged, merge(graph, siblings));
      result.events.push_back(fmt::format("merged {} sibling layers into '{}' ({}, output channels {})", siblings.size(),
                                          merged->name(), merged->op_type(),
                                          dims_to_string(merged->attr_ints("output_channels"))));
      erased.insert(erased.end(), siblings.begin(), siblings.end());
    }
    graph.erase_nodes(erased);
    return result;
  }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_sibling_convs() { return std::make_unique<FuseSiblingConvs>(); }

}  // namespace kiln
