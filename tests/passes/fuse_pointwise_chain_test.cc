#include "passes/pass_test_util.h"

namespace kiln::testing {
namespace {

TEST(FusePointwiseChain, LayerNormTailWithBroadcastStatistics) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 6, 8});
  Value* stddev = b.input("stddev", {1, 6, 1});
  Value* y = b.node("Div", "div", {x, stddev});
  y = b.node("Mul", "mul", {y, b.weights("gamma", {8})});
  y = b.node("Add", "add", {y, b.weights("beta", {8})});
  b.output(b.node("Sqrt", "sqrt", {b.node("Abs", "abs", {b.node("Add", "eps", {y, b.scalar("e", 1e-3f)})})}));
  auto o = optimize_and_compare(b, 3);
  ASSERT_EQ(o.graph->nodes().size(), 1u);
  const Node& n = *o.graph->nodes()[0];
  EXPECT_EQ(n.op_type(), "Pointwise");
  EXPECT_EQ(n.name(), "div + mul + add + eps + abs + sqrt");
  const Graph& body = *n.attr("body")->g;
  EXPECT_EQ(body.nodes().size(), 6u);
  // x, stddev, gamma, beta come in; the scalar epsilon is a literal of the body.
  EXPECT_EQ(n.inputs().size(), 4u);
  EXPECT_EQ(body.inputs().size(), 4u);
  EXPECT_NE(o.report.to_string().find("Pointwise: Div, Mul, Add, Add, Abs, Sqrt"), std::string::npos);
}

TEST(FusePointwiseChain, ValueReadTwiceEndsAChain) {
  GraphBuilder b;
  Value* x = b.input("x", {2, 5});
  Value* e = b.node("Exp", "exp", {b.node("Neg", "neg", {x})});
  Value* s = b.node("Sigmoid", "sig", {e});
  Value* t = b.node("Tanh", "tanh", {e});
  b.output(b.node("Mul", "mul", {b.node("Abs", "abs", {s}), t}));
  auto o = optimize_and_compare(b, 3);
  // {neg, exp} then {sig, abs, tanh, mul}: exp's output has two readers, so it leaves its group.
  EXPECT_EQ(count_ops(*o.graph, "Pointwise"), 2);
  EXPECT_EQ(o.graph->nodes().size(), 2u);
}

TEST(FusePointwiseChain, SingleOpsAndGraphOutputsAreLeft) {
  GraphBuilder b;
  Value* x = b.input("x", {2, 5});
  Value* n = b.node("Neg", "neg", {x});
  b.output(n);
  b.output(b.node("Exp", "exp", {n}));
  auto o = optimize_and_compare(b, 3);
  EXPECT_EQ(count_ops(*o.graph, "Pointwise"), 0);
}

TEST(FusePointwiseChain, OnlyAtLevelThree) {
  GraphBuilder b;
  Value* x = b.input("x", {2, 5});
  b.output(b.node("Exp", "exp", {b.node("Neg", "neg", {x})}));
  auto o = optimize_and_compare(b, 2);
  EXPECT_EQ(o.graph->nodes().size(), 2u);
}

}  // namespace
}  // namespace kiln::testing
