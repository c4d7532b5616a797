// The shortcut convolution fusion (builder/shortcut_conv_fusion.h) on an INT8 bottleneck block
// after channels-last lowering: the block's last convolution and the projection shortcut making
// its int8 residual become one layer whose body runs the shortcut with a float output, then the
// convolution adding it. The body computes what the block computes with the shortcut left
// unrounded (exactly), so against the quantized block an output moves by at most one step. Nothing
// fuses where the predicate says no kernel takes the pair, or where the shortcut has another reader.
#include "builder/shortcut_conv_fusion.h"

#include <cmath>

#include "builder/bottleneck_block.h"
#include "ir/ops/fused_ops.h"

namespace kiln::testing {
namespace {

// The kiln.ChannelsLast layers whose body holds `ops` nodes.
int wrappers_of(const Graph& g, size_t ops) {
  int n = 0;
  for (const auto& node : g.nodes())
    if (node->op_type() == kChannelsLastOp && node->attr("body")->g->nodes().size() == ops) ++n;
  return n;
}

const ShortcutConvFusable kAlways = [](const Node&, const std::vector<const Value*>&, const Node&,
                                       const std::vector<const Value*>&, const Value&) { return true; };

// The largest absolute difference of the first outputs of two graphs on the same inputs.
double max_abs_difference(const Graph& got, const Graph& want, const std::vector<Tensor>& inputs) {
  auto g = run_reference(got, inputs);
  auto w = run_reference(want, inputs);
  EXPECT_TRUE(g.ok()) << g.status().to_string();
  EXPECT_TRUE(w.ok()) << w.status().to_string();
  if (!g.ok() || !w.ok()) return INFINITY;
  double diff = 0;
  for (int64_t i = 0; i < (*w)[0].numel(); ++i)
    diff = std::max(diff, std::abs(static_cast<double>((*g)[0].data<float>()[i]) - (*w)[0].data<float>()[i]));
  return diff;
}

class ShortcutConvFusion : public ::testing::TestWithParam<int64_t> {};

TEST_P(ShortcutConvFusion, JoinsTheConvolutionAndItsShortcut) {
  GraphBuilder b(13);
  build_bottleneck_block(b, {GetParam(), true, false});
  std::unique_ptr<Graph> lowered = lowered_bottleneck_block(b);
  ASSERT_EQ(wrappers_of(*lowered, 1), 3) << dump_graph(*lowered);  // conv1, conv3 (+ residual), shortcut
  int asked = 0;
  auto events = fuse_shortcut_conv(
      *lowered, [&](const Node& conv, const std::vector<const Value*>& conv_inputs, const Node& shortcut,
                    const std::vector<const Value*>& shortcut_inputs, const Value& out) {
        ++asked;
        EXPECT_EQ(conv.op_type(), kQConvOp);
        EXPECT_EQ(shortcut.op_type(), kQConvOp);
        EXPECT_EQ(conv_inputs.size(), conv.inputs().size());
        // The slots the fusion drops are null; the weights are the permuted constants outside.
        EXPECT_EQ(conv_inputs.at(kQResidual), nullptr);
        EXPECT_EQ(conv_inputs.at(kQResidualScale), nullptr);
        EXPECT_EQ(shortcut_inputs.at(kQOutputScale), nullptr);
        EXPECT_EQ(shortcut_inputs.at(kQWeights)->constant().dims(), (std::vector<int64_t>{32, 1, 1, 16}));
        EXPECT_EQ(shortcut_inputs.at(kQInput)->dtype(), DataType::kInt8);
        EXPECT_EQ(out.dtype(), DataType::kInt8);
        return true;
      });
  ASSERT_TRUE(events.ok()) << events.status().to_string();
  EXPECT_EQ(asked, 1);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_NE(events->front().find("shortcut convolution"), std::string::npos) << events->front();
  EXPECT_EQ(wrappers_of(*lowered, 1), 1) << dump_graph(*lowered);
  ASSERT_EQ(wrappers_of(*lowered, 2), 1) << dump_graph(*lowered);
  for (const auto& node : lowered->nodes()) {
    if (node->op_type() != kChannelsLastOp || node->attr("body")->g->nodes().size() != 2) continue;
    const Graph& body = *node->attr("body")->g;
    const Node& first = *body.nodes().front();
    const Node& second = *body.nodes().back();
    EXPECT_EQ(second.input(kQResidual), first.output(0));
    EXPECT_EQ(first.input(kQOutputScale), nullptr);
    EXPECT_EQ(second.input(kQResidualScale), nullptr);
    EXPECT_EQ(node->inputs().size(), body.inputs().size());
    EXPECT_EQ(node->attr_ints("nhwc_inputs").size(), node->inputs().size());
    EXPECT_EQ(node->output(0)->producer(), node.get());
  }

  // The body is the block with the shortcut unrounded: exactly that graph's output, and within
  // one output step of the quantized block's.
  GraphBuilder unrounded(13);
  build_bottleneck_block(unrounded, {GetParam(), false, false});
  const auto inputs = b.random_inputs();
  EXPECT_EQ(max_abs_difference(*lowered, unrounded.graph(), inputs), 0.0);
  const double moved = max_abs_difference(*lowered, b.graph(), inputs);
  EXPECT_LE(moved, kBlockOutScale * 1.0001);
}

TEST_P(ShortcutConvFusion, LeavesThePairWhereNoKernelTakesIt) {
  GraphBuilder b(13);
  build_bottleneck_block(b, {GetParam(), true, false});
  std::unique_ptr<Graph> lowered = lowered_bottleneck_block(b);
  auto events = fuse_shortcut_conv(*lowered, [](const Node&, const std::vector<const Value*>&, const Node&,
                                                const std::vector<const Value*>&, const Value&) { return false; });
  ASSERT_TRUE(events.ok()) << events.status().to_string();
  EXPECT_TRUE(events->empty());
  EXPECT_EQ(wrappers_of(*lowered, 2), 0);
}

// The shortcut's int8 tensor is read by another layer too: it must stay a tensor.
TEST_P(ShortcutConvFusion, LeavesAShortcutWithAnotherReader) {
  GraphBuilder b(13);
  build_bottleneck_block(b, {GetParam(), true, true});
  std::unique_ptr<Graph> lowered = lowered_bottleneck_block(b);
  auto events = fuse_shortcut_conv(*lowered, kAlways);
  ASSERT_TRUE(events.ok()) << events.status().to_string();
  EXPECT_TRUE(events->empty()) << dump_graph(*lowered);
  EXPECT_EQ(wrappers_of(*lowered, 2), 0);
}

INSTANTIATE_TEST_SUITE_P(Strides, ShortcutConvFusion, ::testing::Values(1, 2));

}  // namespace
}  // namespace kiln::testing
