#include "ir/ops/fused_ops.h"
#include "passes/qdq_test_util.h"

namespace kiln::testing {
namespace {

constexpr float kScale = 1.f / 32;

TEST(PropagateQdq, DequantizeMovesPastMaxPoolAndFlattenSoTheGemmFuses) {
  GraphBuilder b(13);
  Value* a = fake_quant(b, "in", b.input("x", {1, 4, 6, 6}), kScale);
  Value* pooled = b.node("MaxPool", "pool", {a}, {{"kernel_shape", ints({2, 2})}, {"strides", ints({2, 2})}});
  Value* flat = b.node("Flatten", "flatten", {fake_quant(b, "pooled", pooled, kScale)});
  b.output(b.node("Gemm", "fc", {fake_quant(b, "flat", flat, kScale), b.constant("w", exact_weights({36, 5}, 1, 3)),
                                 b.weights("c", {5})}));
  auto o = optimize_and_compare(b, 2);
  const Graph& g = *o.graph;
  EXPECT_EQ(count_ops(g, "QMatMul"), 1);
  EXPECT_EQ(count_ops(g, "DequantizeLinear"), 0);
  EXPECT_EQ(count_ops(g, "QuantizeLinear"), 1);
  const Node* pool = find_op(g, "MaxPool");
  const Node* flatten = find_op(g, "Flatten");
  ASSERT_TRUE(pool && flatten);
  EXPECT_EQ(pool->input(0)->dtype(), DataType::kInt8);
  EXPECT_EQ(pool->output(0)->dtype(), DataType::kInt8);
  EXPECT_EQ(flatten->input(0), pool->output(0));
  EXPECT_EQ(find_op(g, "QMatMul")->input(kQInput), flatten->output(0));
  EXPECT_NE(o.report.to_string().find("(DequantizeLinear -> QuantizeLinear with equal parameters)"), std::string::npos)
      << o.report.to_string();
}

// x [-> Q/DQ] -> Conv -> Relu -> MaxPool -> Q/DQ -> Flatten -> Gemm: INT8 calibration's shape,
// the Q/DQ pair after the pool, before the next layer.
void conv_pool_gemm(GraphBuilder& b, bool quantized_input) {
  Value* x = b.input("x", {1, 3, 8, 8});
  if (quantized_input) x = fake_quant(b, "in", x, kScale);
  Value* conv = b.node("Conv", "conv", {x, b.constant("w", exact_weights({4, 3, 3, 3}, 0, 3))},
                       {{"pads", ints({1, 1, 1, 1})}});
  Value* relu = b.node("Relu", "relu", {conv});
  Value* pooled = b.node("MaxPool", "pool", {relu}, {{"kernel_shape", ints({2, 2})}, {"strides", ints({2, 2})}});
  Value* flat = b.node("Flatten", "flatten", {fake_quant(b, "pooled", pooled, kScale)});
  b.output(b.node("Gemm", "fc", {flat, b.constant("w2", exact_weights({64, 5}, 1, 3)), b.weights("c", {5})}));
}

// INT8 calibration's shape: the Q/DQ pair sits after the pool, before the next layer. The Q moves
// before the pool, so the conv writes int8 and the pool runs on int8.
TEST(PropagateQdq, QuantizeMovesBeforeMaxPoolSoTheConvWritesInt8) {
  GraphBuilder b(13);
  conv_pool_gemm(b, /*quantized_input=*/true);
  auto o = optimize_and_compare(b, 2);
  const Graph& g = *o.graph;
  EXPECT_EQ(count_ops(g, "QConv"), 1);
  EXPECT_EQ(count_ops(g, "QMatMul"), 1);
  EXPECT_EQ(count_ops(g, "DequantizeLinear"), 0);
  EXPECT_EQ(count_ops(g, "QuantizeLinear"), 1);  // the graph input's
  const Node* pool = find_op(g, "MaxPool");
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->input(0)->dtype(), DataType::kInt8);
  EXPECT_EQ(find_op(g, "QConv")->output(0), pool->input(0));
  EXPECT_NE(o.report.to_string().find("moved QuantizeLinear"), std::string::npos) << o.report.to_string();
}

// ResNet's stem: the conv reads the float graph input and stays float, so quantizing before the
// pool would only add a pass over the larger tensor. The pool stays float and its output is
// quantized.
TEST(PropagateQdq, QuantizeStaysAfterAPoolWhoseInputStaysFloat) {
  GraphBuilder b(13);
  conv_pool_gemm(b, /*quantized_input=*/false);
  auto o = optimize_and_compare(b, 2);
  const Graph& g = *o.graph;
  EXPECT_EQ(count_ops(g, "QConv"), 0);
  EXPECT_EQ(count_ops(g, "QMatMul"), 1);
  const Node* pool = find_op(g, "MaxPool");
  ASSERT_NE(pool, nullptr);
  EXPECT_TRUE(is_floating(pool->input(0)->dtype()));
  EXPECT_TRUE(is_floating(pool->output(0)->dtype()));
  const Node* q = find_op(g, "QuantizeLinear");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->input(0), pool->output(0));
  EXPECT_EQ(o.report.to_string().find("moved QuantizeLinear"), std::string::npos) << o.report.to_string();
}

TEST(PropagateQdq, KeepsRequantizationWithADifferentScale) {
  GraphBuilder b(13);
  Value* a = fake_quant(b, "in", b.input("x", {1, 2, 4, 4}), kScale);
  Value* t = b.node("Transpose", "t", {a}, {{"perm", ints({0, 2, 3, 1})}});
  b.output(fake_quant(b, "out", t, kScale * 2));
  auto o = optimize_and_compare(b, 2);
  const Node* transpose = find_op(*o.graph, "Transpose");
  ASSERT_NE(transpose, nullptr);
  EXPECT_EQ(transpose->input(0)->dtype(), DataType::kInt8);  // moved
  EXPECT_EQ(count_ops(*o.graph, "QuantizeLinear"), 2);     // the rescale stays
  EXPECT_EQ(count_ops(*o.graph, "DequantizeLinear"), 2);
}

}  // namespace
}  // namespace kiln::testing
