// QuantizeLinear -> Transpose becomes one kiln.QuantizeTranspose, so the float tensor is read once
// and the quantized one written once, already in the other layout. This is the shape of an INT8
// engine's input: the graph input is quantized, then layout assignment reformats the int8 tensor
// to channels-last for the stem convolution (two kernels, 0.18 ms on ResNet-50 at batch 256 on an
// H100, where one pass over the bytes needs about 0.06 ms).
//
// It runs after layout assignment (which inserts the reformats), in the CUDA build's lowering
// passes, not in the optimization pipeline. Guards: the quantizer's output is read by the
// Transpose alone and is no graph output; its scale and zero point are single values (a per-axis
// scale names an axis the transpose moves); the input is 4-D and the permutation is one of the
// layout reformats (NCHW <-> NHWC), the transposes the CUDA backend has a fused kernel for.
#include "ir/ops/fused_ops.h"
#include "ir/ops/infer_utils.h"
#include "passes/passes.h"
#include "passes/rewrite_util.h"

namespace kiln {

namespace {

bool is_op(const Node* n, std::string_view op) { return n != nullptr && n->domain().empty() && n->op_type() == op; }

bool is_layout_reformat(const Node& transpose) {
  const Attribute* perm = transpose.attr("perm");
  static const std::vector<int64_t> kToChannelsLast = {0, 2, 3, 1}, kToChannelsFirst = {0, 3, 1, 2};
  return perm != nullptr && (perm->ints == kToChannelsLast || perm->ints == kToChannelsFirst);
}

// Absent, or a tensor of exactly one element.
bool single_value(const Value* v) {
  if (v == nullptr) return true;
  const auto dims = v->shape().static_dims();
  return dims && checked_numel(*dims) == 1;
}

// The per-tensor QuantizeLinear whose output only `transpose` reads, if it is one.
const Node* fusable_quantize(const Uses& uses, const Node& transpose) {
  const Value* q = transpose.input(0);
  const Node* quantize = q != nullptr ? q->producer() : nullptr;
  if (!is_op(quantize, "QuantizeLinear") || uses.sole_reader(q) != &transpose) return nullptr;
  const Value* x = quantize->input(0);
  if (x == nullptr || !x->shape().rank_known() || x->shape().rank() != 4) return nullptr;
  if (quantize->input(1) == nullptr || !single_value(quantize->input(1)) || !single_value(quantize->input(2)))
    return nullptr;
  return quantize;
}

class FuseQuantizeTranspose final : public Pass {
 public:
  std::string_view name() const override { return "fuse_quantize_transpose"; }

  Expected<PassResult> run(Graph& graph) override {
    PassResult result;
    const Uses uses(graph);
    std::vector<std::pair<const Node*, const Node*>> matches;
    for (const auto& node : graph.nodes()) {
      if (!is_op(node.get(), "Transpose") || !is_layout_reformat(*node)) continue;
      if (const Node* quantize = fusable_quantize(uses, *node)) matches.emplace_back(quantize, node.get());
    }
    std::vector<const Node*> erased;
    for (const auto& [quantize, transpose] : matches) {
      std::vector<Value*> inputs = quantize->inputs();
      while (inputs.size() > 2 && inputs.back() == nullptr) inputs.pop_back();
      KILN_ASSIGN_OR_RETURN(Node * fused,
                            add_replacement(graph, {quantize, transpose}, std::string(kQuantizeTransposeOp),
                                            std::string(kKilnDomain), 1, std::move(inputs), {transpose->output(0)},
                                            {{"perm", *transpose->attr("perm")}}));
      result.events.push_back("fused '" + fused->name() + "' (QuantizeLinear + Transpose)");
      erased.push_back(quantize);
      erased.push_back(transpose);
    }
    graph.erase_nodes(erased);
    return result;
  }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_quantize_transpose() { return std::make_unique<FuseQuantizeTranspose>(); }

}  // namespace kiln
