#include "passes/pass_test_util.h"

namespace kiln::testing {
namespace {

TEST(FoldScaleBias, PerChannelMulAndAddFoldIntoConv) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 3, 5, 5});
  Value* y = b.node("Conv", "conv", {x, b.weights("w", {4, 3, 3, 3})});
  Value* scaled = b.node("Mul", "scale", {b.weights("s", {1, 4, 1, 1}), y});
  Value* shifted = b.node("Add", "shift", {scaled, b.weights("t", {4, 1, 1})});
  b.output(b.node("Sub", "center", {shifted, b.scalar("m", 0.25f)}));
  auto o = optimize_and_compare(b, 2, {"fuse_conv_activation"});
  ASSERT_EQ(o.graph->nodes().size(), 1u);
  EXPECT_EQ(o.graph->nodes()[0]->op_type(), "Conv");
  EXPECT_EQ(o.graph->nodes()[0]->name(), "conv + scale + shift + center");
}

TEST(FoldScaleBias, GemmColumnScale) {
  GraphBuilder b;
  Value* x = b.input("x", {2, 5});
  Value* y = b.node("Gemm", "fc", {x, b.weights("w", {5, 3})});
  b.output(b.node("Mul", "scale", {y, b.weights("s", {3})}));
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(o.graph->nodes().size(), 1u);
  EXPECT_EQ(o.graph->nodes()[0]->name(), "fc + scale");
}

TEST(FoldScaleBias, ConstantVaryingOverSpaceIsNotPerChannel) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 3, 4, 4});
  Value* y = b.node("Conv", "conv", {x, b.weights("w", {2, 3, 1, 1})});
  b.output(b.node("Mul", "mask", {y, b.weights("m", {1, 1, 4, 4})}));
  auto o = optimize_and_compare(b, 2);
  EXPECT_EQ(count_ops(*o.graph, "Mul"), 1);
}

TEST(FoldScaleBias, ConstantThatWouldBroadcastTheOutputIsKept) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 3, 4, 4});
  Value* y = b.node("Conv", "conv", {x, b.weights("w", {2, 3, 1, 1})});
  b.output(b.node("Add", "widen", {y, b.weights("c", {3, 1, 1, 1, 1})}));
  auto o = optimize_and_compare(b, 2);
  EXPECT_EQ(count_ops(*o.graph, "Add"), 1);
}

}  // namespace
}  // namespace kiln::testing
