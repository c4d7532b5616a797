// The stem + max pool fusion (builder/stem_pool_fusion.h) on INT8's RGB stem after channels-last
// lowering: the pair becomes one layer whose body runs both ops, which computes what the two
// layers did; nothing fuses where the predicate says no kernel takes the pair, or where the
// conv's output has another reader.
#include "builder/stem_pool_fusion.h"

#include "builder/layout_assignment.h"
#include "ir/ops/fused_ops.h"
#include "passes/qdq_test_util.h"

namespace kiln::testing {
namespace {

constexpr float kInScale = 1.f / 64, kActScale = 1.f / 16;

// Q(x) -> DQ -> 7x7 stride-2 conv + relu -> MaxPool 3x3/2/1 -> Q -> DQ -> 1x1 conv; with
// `also_output`, the stem's activation is a graph output too.
void build_stem(GraphBuilder& b, bool also_output = false) {
  Value* x = b.input("x", {2, 3, 18, 14});
  Value* c1 = b.node("Conv", "stem", {fake_quant(b, "in", x, kInScale), b.constant("w1", exact_weights({16, 3, 7, 7}, 0, 1))},
                     {{"strides", ints({2, 2})}, {"pads", ints({3, 3, 3, 3})}});
  Value* relu = b.node("Relu", "relu1", {c1});
  Value* pooled = b.node("MaxPool", "pool", {relu},
                         {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 2})}, {"pads", ints({1, 1, 1, 1})}});
  b.output(b.node("Conv", "conv2", {fake_quant(b, "act1", pooled, kActScale), b.constant("w2", exact_weights({16, 16, 1, 1}, 0, 2))}));
  if (also_output) b.output(relu);
}

// The kiln.ChannelsLast layers whose body holds `ops` nodes.
int wrappers_of(const Graph& g, size_t ops) {
  int n = 0;
  for (const auto& node : g.nodes())
    if (node->op_type() == kChannelsLastOp && node->attr("body")->g->nodes().size() == ops) ++n;
  return n;
}

const StemPoolFusable kAlways = [](const Node&, const Node&, const std::vector<const Value*>&, const Value&) {
  return true;
};

TEST(StemPoolFusion, JoinsTheStemAndItsPoolAndComputesTheSame) {
  GraphBuilder b(13);
  build_stem(b);
  auto o = optimize_and_compare(b, 2);
  std::unique_ptr<Graph> lowered = o.graph->clone();
  ASSERT_TRUE(assign_channels_last(*lowered).ok());
  ASSERT_EQ(wrappers_of(*lowered, 1), 3);  // the stem, the pool, the 1x1 conv
  const Node* asked_conv = nullptr;
  const Node* asked_pool = nullptr;
  auto events = fuse_stem_max_pool(
      *lowered, [&](const Node& conv, const Node& pool, const std::vector<const Value*>& inputs, const Value& out) {
        asked_conv = &conv;
        asked_pool = &pool;
        EXPECT_EQ(inputs.size(), conv.inputs().size());
        EXPECT_EQ(inputs.at(kQInput)->dtype(), DataType::kInt8);
        EXPECT_TRUE(inputs.at(kQWeights)->is_constant());  // the permuted weights, outside the body
        EXPECT_EQ(inputs.at(kQWeights)->constant().dims(), (std::vector<int64_t>{16, 7, 7, 3}));
        EXPECT_EQ(out.dtype(), DataType::kInt8);
        return true;
      });
  ASSERT_TRUE(events.ok()) << events.status().to_string();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_NE(events->front().find("stem + MaxPool"), std::string::npos) << events->front();
  ASSERT_NE(asked_conv, nullptr);
  EXPECT_EQ(asked_conv->op_type(), kQConvOp);
  EXPECT_EQ(asked_pool->op_type(), "MaxPool");
  EXPECT_EQ(wrappers_of(*lowered, 1), 1) << dump_graph(*lowered);
  ASSERT_EQ(wrappers_of(*lowered, 2), 1) << dump_graph(*lowered);
  for (const auto& node : lowered->nodes())
    if (node->op_type() == kChannelsLastOp && node->attr("body")->g->nodes().size() == 2) {
      const Graph& body = *node->attr("body")->g;
      EXPECT_EQ(body.nodes().front()->op_type(), kQConvOp);
      EXPECT_EQ(body.nodes().back()->input(0), body.nodes().front()->output(0));
      EXPECT_EQ(body.outputs().front(), body.nodes().back()->output(0));
      EXPECT_EQ(node->output(0)->producer(), node.get());
    }
  const auto difference = output_difference(*lowered, *o.graph, b.random_inputs());
  ASSERT_TRUE(difference.ok()) << difference.status().to_string();
  EXPECT_EQ(*difference, 0.0);  // the same int8 kernels, in the same order
}

TEST(StemPoolFusion, LeavesThePairWhereNoKernelTakesIt) {
  GraphBuilder b(13);
  build_stem(b);
  auto o = optimize_and_compare(b, 2);
  ASSERT_TRUE(assign_channels_last(*o.graph).ok());
  auto events = fuse_stem_max_pool(
      *o.graph, [](const Node&, const Node&, const std::vector<const Value*>&, const Value&) { return false; });
  ASSERT_TRUE(events.ok()) << events.status().to_string();
  EXPECT_TRUE(events->empty());
  EXPECT_EQ(wrappers_of(*o.graph, 1), 3);
  EXPECT_EQ(wrappers_of(*o.graph, 2), 0);
}

// The stem's activation is also a graph output: it must stay a tensor, so the pair stays apart.
TEST(StemPoolFusion, LeavesAStemWhoseOutputHasAnotherReader) {
  GraphBuilder b(13);
  build_stem(b, /*also_output=*/true);
  auto o = optimize_and_compare(b, 2);
  ASSERT_TRUE(assign_channels_last(*o.graph).ok());
  auto events = fuse_stem_max_pool(*o.graph, kAlways);
  ASSERT_TRUE(events.ok()) << events.status().to_string();
  EXPECT_TRUE(events->empty()) << dump_graph(*o.graph);
  EXPECT_EQ(wrappers_of(*o.graph, 2), 0);
}

}  // namespace
}  // namespace kiln::testing
