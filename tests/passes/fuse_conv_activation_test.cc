#include "passes/pass_test_util.h"

namespace kiln::testing {
namespace {

Value* conv(GraphBuilder& b, const std::string& name, Value* x, int64_t in, int64_t out) {
  return b.node("Conv", name, {x, b.weights(name + ".w", {out, in, 3, 3}), b.weights(name + ".b", {out})},
                {{"pads", ints({1, 1, 1, 1})}});
}

TEST(FuseConvActivation, ResidualAddAndRelu) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 4, 5, 5});
  Value* y = conv(b, "conv3", x, 4, 4);
  b.output(b.node("Relu", "relu", {b.node("Add", "add", {y, x})}));
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(o.graph->nodes().size(), 1u);
  const Node& n = *o.graph->nodes()[0];
  EXPECT_EQ(n.op_type(), "FusedConv");
  EXPECT_EQ(n.domain(), "kiln");
  EXPECT_EQ(n.name(), "conv3 + add + relu");
  EXPECT_EQ(n.input(3)->name(), "x");
  EXPECT_EQ(n.attr_string("activation"), "Relu");
  EXPECT_NE(o.report.to_string().find("fused 'conv3 + add + relu' (Conv + residual Add + Relu)"), std::string::npos)
      << o.report.to_string();
}

TEST(FuseConvActivation, SiLUIsGatedSigmoid) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 3, 5, 5});
  Value* y = conv(b, "conv", x, 3, 4);
  b.output(b.node("Mul", "mul", {b.node("Sigmoid", "sigmoid", {y}), y}));
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(o.graph->nodes().size(), 1u);
  const Node& n = *o.graph->nodes()[0];
  EXPECT_EQ(n.attr_string("activation"), "Sigmoid");
  EXPECT_EQ(n.attr_int("activation_gated"), 1);
  EXPECT_NE(o.report.to_string().find("(Conv + SiLU)"), std::string::npos) << o.report.to_string();
}

TEST(FuseConvActivation, HardSwishAsGatedHardSigmoid) {
  GraphBuilder b(13);
  Value* x = b.input("x", {1, 3, 5, 5});
  Value* y = conv(b, "conv", x, 3, 4);
  Value* gate = b.node("HardSigmoid", "hs", {y}, {{"alpha", Attribute::of_float(1.f / 6)}});
  b.output(b.node("Mul", "mul", {y, gate}));
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(o.graph->nodes().size(), 1u);
  EXPECT_EQ(o.graph->nodes()[0]->attr_string("activation"), "HardSigmoid");
  EXPECT_FLOAT_EQ(o.graph->nodes()[0]->attr_float("activation_alpha"), 1.f / 6);
}

TEST(FuseConvActivation, Relu6AsClipWithConstantBounds) {
  GraphBuilder b(13);
  Value* x = b.input("x", {1, 3, 5, 5});
  Value* y = conv(b, "conv", x, 3, 4);
  b.output(b.node("Clip", "relu6", {y, b.scalar("lo", 0.f), b.scalar("hi", 0.1f)}));
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(o.graph->nodes().size(), 1u);
  EXPECT_EQ(o.graph->nodes()[0]->attr_string("activation"), "Clip");
  EXPECT_FLOAT_EQ(o.graph->nodes()[0]->attr_float("activation_beta"), 0.1f);
}

TEST(FuseConvActivation, ParametricActivations) {
  for (const char* op : {"LeakyRelu", "Elu", "Tanh", "Gelu", "HardSwish", "Softplus"}) {
    GraphBuilder b;
    Value* x = b.input("x", {1, 2, 4, 4});
    b.output(b.node(op, "act", {conv(b, "conv", x, 2, 3)}));
    auto o = optimize_and_compare(b, 2);
    ASSERT_EQ(o.graph->nodes().size(), 1u) << op;
    EXPECT_EQ(o.graph->nodes()[0]->attr_string("activation"), op);
  }
}

TEST(FuseConvActivation, ConvOutputThatIsAGraphOutputStays) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 2, 4, 4});
  Value* y = conv(b, "conv", x, 2, 3);
  b.output(b.node("Relu", "relu", {y}));
  b.output(y);
  auto o = optimize_and_compare(b, 2);
  EXPECT_EQ(count_ops(*o.graph, "Conv"), 1);
  EXPECT_EQ(count_ops(*o.graph, "Relu"), 1);
}

TEST(FuseConvActivation, ResidualOfAnotherShapeIsNotAbsorbed) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 2, 4, 4});
  Value* y = conv(b, "conv", x, 2, 3);
  b.output(b.node("Relu", "relu", {b.node("Add", "add", {y, b.weights("c", {3, 1, 1})})}));
  auto o = optimize_and_compare(b, 2);
  // The per-channel constant folds into the bias instead; the Relu still fuses.
  ASSERT_EQ(o.graph->nodes().size(), 1u);
  EXPECT_EQ(o.graph->nodes()[0]->name(), "conv + add + relu");
  EXPECT_EQ(o.graph->nodes()[0]->input(3), nullptr);
}

}  // namespace
}  // namespace kiln::testing
