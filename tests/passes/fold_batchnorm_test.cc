#include "passes/pass_test_util.h"

namespace kiln::testing {
namespace {

Value* batchnorm(GraphBuilder& b, const std::string& name, Value* x, int64_t channels) {
  return b.node("BatchNormalization", name,
                {x, b.weights(name + ".scale", {channels}), b.weights(name + ".bias", {channels}),
                 b.weights(name + ".mean", {channels}), b.weights(name + ".var", {channels}, 0.5f, 2.f)},
                {{"epsilon", Attribute::of_float(1e-3f)}});
}

TEST(FoldBatchNorm, ConvAndBatchNormBecomeOneConv) {
  GraphBuilder b;
  Value* x = b.input("x", {2, 3, 6, 6});
  Value* y = b.node("Conv", "conv1", {x, b.weights("w", {4, 3, 3, 3}), b.weights("b", {4})}, {{"pads", ints({1, 1, 1, 1})}});
  b.output(batchnorm(b, "bn1", y, 4));
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(o.graph->nodes().size(), 1u);
  EXPECT_EQ(o.graph->nodes()[0]->op_type(), "Conv");
  EXPECT_EQ(o.graph->nodes()[0]->name(), "conv1 + bn1");
  EXPECT_EQ(o.graph->outputs()[0]->name(), "bn1.out");
  EXPECT_NE(o.report.to_string().find("fused 'conv1 + bn1' (BatchNormalization folded into Conv)"), std::string::npos)
      << o.report.to_string();
}

TEST(FoldBatchNorm, ThenFusesWithTheActivation) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 3, 5, 5});
  Value* y = b.node("Conv", "conv1", {x, b.weights("w", {4, 3, 1, 1})});  // no bias: folding adds one
  b.output(b.node("Relu", "relu1", {batchnorm(b, "bn1", y, 4)}));
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(o.graph->nodes().size(), 1u);
  EXPECT_EQ(o.graph->nodes()[0]->op_type(), "FusedConv");
  EXPECT_EQ(o.graph->nodes()[0]->name(), "conv1 + bn1 + relu1");
  EXPECT_EQ(o.graph->nodes()[0]->attr_string("activation"), "Relu");
}

TEST(FoldBatchNorm, GroupedConvTranspose) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 4, 5, 5});
  // W [C=4, M/group=3, 3, 3], group 2: six output channels.
  Value* y = b.node("ConvTranspose", "up", {x, b.weights("w", {4, 3, 3, 3}), b.weights("b", {6})},
                    {{"group", Attribute::of_int(2)}, {"strides", ints({2, 2})}});
  b.output(batchnorm(b, "bn", y, 6));
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(o.graph->nodes().size(), 1u);
  EXPECT_EQ(o.graph->nodes()[0]->name(), "up + bn");
}

TEST(FoldBatchNorm, GemmWithTransposedWeights) {
  GraphBuilder b;
  Value* x = b.input("x", {2, 5});
  Value* y = b.node("Gemm", "fc", {x, b.weights("w", {3, 5}), b.weights("c", {3})},
                    {{"transB", Attribute::of_int(1)}, {"beta", Attribute::of_float(0.5f)}});
  b.output(batchnorm(b, "bn", y, 3));
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(o.graph->nodes().size(), 1u);
  EXPECT_EQ(o.graph->nodes()[0]->op_type(), "Gemm");
}

TEST(FoldBatchNorm, ConvOutputReadElsewhereIsKept) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 3, 4, 4});
  Value* y = b.node("Conv", "conv1", {x, b.weights("w", {4, 3, 1, 1})});
  b.output(batchnorm(b, "bn1", y, 4));
  b.output(y);
  auto o = optimize_and_compare(b, 2);
  EXPECT_EQ(count_ops(*o.graph, "BatchNormalization"), 1);
}

}  // namespace
}  // namespace kiln::testing
