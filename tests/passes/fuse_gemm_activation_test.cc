#include "passes/pass_test_util.h"

namespace kiln::testing {
namespace {

// x * 0.5 * (1 + erf(x / sqrt(2))) as torch exports it.
Value* exported_gelu(GraphBuilder& b, const std::string& p, Value* x) {
  Value* e = b.node("Erf", p + "erf", {b.node("Div", p + "div", {x, b.scalar(p + "sqrt2", 1.4142135f)})});
  Value* m = b.node("Mul", p + "mul", {x, b.node("Add", p + "add", {e, b.scalar(p + "one", 1.f)})});
  return b.node("Mul", p + "mul1", {m, b.scalar(p + "half", 0.5f)});
}

TEST(FuseGemmActivation, MatMulBiasGeluAndMatMulBiasResidual) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 7, 8});
  Value* h = b.node("Add", "fc1.bias", {b.weights("b1", {16}), b.node("MatMul", "fc1", {x, b.weights("w1", {8, 16})})});
  Value* g = exported_gelu(b, "gelu.", h);
  Value* y = b.node("Add", "fc2.bias", {b.node("MatMul", "fc2", {g, b.weights("w2", {16, 8})}), b.weights("b2", {1, 1, 8})});
  b.output(b.node("Add", "residual", {x, y}));
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(o.graph->nodes().size(), 2u);
  const Node& fc1 = *o.graph->nodes()[0];
  EXPECT_EQ(fc1.op_type(), "FusedMatMul");
  EXPECT_EQ(fc1.attr_string("activation"), "Gelu");
  EXPECT_EQ(fc1.name(), "fc1 + fc1.bias + gelu.div + gelu.erf + gelu.add + gelu.mul + gelu.mul1");
  const Node& fc2 = *o.graph->nodes()[1];
  EXPECT_EQ(fc2.name(), "fc2 + fc2.bias + residual");
  EXPECT_EQ(fc2.input(2)->constant().dims(), std::vector<int64_t>{8});
  EXPECT_EQ(fc2.input(3)->name(), "x");
}

TEST(FuseGemmActivation, GemmWithTransposedWeightsAndRelu) {
  GraphBuilder b;
  Value* x = b.input("x", {3, 5});
  Value* y = b.node("Gemm", "fc", {x, b.weights("w", {4, 5}), b.weights("c", {1, 4})},
                    {{"transB", Attribute::of_int(1)}, {"beta", Attribute::of_float(2.f)}});
  b.output(b.node("LeakyRelu", "act", {y}, {{"alpha", Attribute::of_float(0.2f)}}));
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(o.graph->nodes().size(), 1u);
  EXPECT_EQ(o.graph->nodes()[0]->op_type(), "FusedMatMul");
  EXPECT_EQ(o.graph->nodes()[0]->name(), "fc + act");
}

TEST(FuseGemmActivation, PlainGemmIsLeftAlone) {
  GraphBuilder b;
  Value* x = b.input("x", {3, 5});
  b.output(b.node("Gemm", "fc", {x, b.weights("w", {5, 4}), b.weights("c", {4})}));
  auto o = optimize_and_compare(b, 3);
  EXPECT_EQ(count_ops(*o.graph, "Gemm"), 1);
}

TEST(FuseGemmActivation, MatMulOfTwoActivationsTakesABias) {
  GraphBuilder b;
  Value* q = b.input("q", {2, 4, 6});
  Value* k = b.input("k", {2, 6, 5});
  b.output(b.node("Tanh", "tanh", {b.node("Add", "bias", {b.node("MatMul", "scores", {q, k}), b.weights("c", {5})})}));
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(o.graph->nodes().size(), 1u);
  EXPECT_EQ(o.graph->nodes()[0]->attr_string("activation"), "Tanh");
}

}  // namespace
}  // namespace kiln::testing
