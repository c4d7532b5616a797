// Vertical fusion of a convolution with what follows it: Conv [+ residual Add] [+ activation]
// becomes one kiln.FusedConv (ResNet's conv + add + relu, MobileNet's conv + ReLU6,
// EfficientNet's conv + SiLU).
#include "passes/epilogue_match.h"
#include "passes/passes.h"

namespace kiln {

namespace {

class FuseConvActivation final : public Pass {
 public:
  std::string_view name() const override { return "fuse_conv_activation"; }

  Expected<PassResult> run(Graph& graph) override {
    PassResult result;
    const Uses uses(graph);
    std::unordered_set<const Node*> claimed;
    struct Match {
      const Node* conv;
      Epilogue epilogue;
    };
    std::vector<Match> matches;
    for (const auto& node : graph.nodes()) {
      const Node& conv = *node;
      if (!conv.domain().empty() || conv.op_type() != "Conv" || claimed.count(&conv)) continue;
      Value* y = conv.output(0);
      if (y == nullptr || !is_floating(y->dtype())) continue;
      Epilogue e = match_epilogue(uses, y, claimed, true);
      if (e.nodes.empty()) continue;
      claimed.insert(&conv);
      claimed.insert(e.nodes.begin(), e.nodes.end());
      matches.push_back({&conv, std::move(e)});
    }
    std::vector<const Node*> erased;
    for (const Match& m : matches) {
      std::vector<const Node*> replaced{m.conv};
      replaced.insert(replaced.end(), m.epilogue.nodes.begin(), m.epilogue.nodes.end());
      std::vector<Value*> inputs{m.conv->input(0), m.conv->input(1), m.conv->input(2)};
      if (m.epilogue.residual) inputs.push_back(m.epilogue.residual);
      while (inputs.back() == nullptr) inputs.pop_back();
      KILN_ASSIGN_OR_RETURN(Node * fused, add_replacement(graph, replaced, std::string(kFusedConvOp),
                                                          std::string(kKilnDomain), 1, inputs,
                                                          {m.epilogue.output}, m.conv->attrs()));
      set_activation_attrs(*fused, m.epilogue.activation);
      result.events.push_back("fused '" + fused->name() + "' (Conv + " + m.epilogue.describe() + ")");
      erased.insert(erased.end(), replaced.begin(), replaced.end());
    }
    graph.erase_nodes(erased);
    return result;
  }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_conv_activation() { return std::make_unique<FuseConvActivation>(); }

}  // namespace kiln
