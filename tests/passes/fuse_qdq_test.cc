#include "ir/ops/fused_ops.h"
#include "passes/qdq_test_util.h"

namespace kiln::testing {
namespace {

constexpr float kInScale = 1.f / 64, kActScale = 1.f / 16;

Value* conv(GraphBuilder& b, const std::string& name, Value* x, Value* w, int64_t out) {
  return b.node("Conv", name, {x, w, b.weights(name + ".b", {out})}, {{"pads", ints({1, 1, 1, 1})}});
}

Value* exact_conv_weights(GraphBuilder& b, const std::string& name, int64_t out, int64_t in, uint32_t seed) {
  return b.constant(name, exact_weights({out, in, 3, 3}, 0, seed));
}

// DequantizeLinear of int8 weights with one scale 2^-7 per output channel.
Value* dequantized_conv_weights(GraphBuilder& b, const std::string& name, int64_t out, int64_t in, uint32_t seed) {
  const Tensor w = exact_weights({out, in, 3, 3}, 0, seed);
  Tensor q(DataType::kInt8, w.dims());
  for (int64_t i = 0; i < w.numel(); ++i) q.data<int8_t>()[i] = static_cast<int8_t>(w.data<float>()[i] * 128.f);
  Tensor scales(DataType::kFloat32, {out});
  for (int64_t k = 0; k < out; ++k) scales.data<float>()[k] = 1.f / 128;
  return b.node("DequantizeLinear", name, {b.constant(name + ".q", q), b.constant(name + ".scale", scales)},
                {{"axis", Attribute::of_int(0)}});
}

const Node* nth_op(const Graph& g, const std::string& op, int n) {
  for (const auto& node : g.nodes())
    if (node->op_type() == op && n-- == 0) return node.get();
  return nullptr;
}

// conv1 + relu, then conv2 + residual (conv1's dequantized output) + relu, Q/DQ between.
void build_residual_block(GraphBuilder& b) {
  Value* x = b.input("x", {1, 4, 6, 6});
  Value* a0 = fake_quant(b, "in", x, kInScale);
  Value* a1 = fake_quant(b, "act1", b.node("Relu", "relu1", {conv(b, "conv1", a0, dequantized_conv_weights(b, "w1", 4, 4, 7), 4)}),
                         kActScale);
  Value* sum = b.node("Add", "add", {conv(b, "conv2", a1, exact_conv_weights(b, "w2", 4, 4, 8), 4), a1});
  b.output(fake_quant(b, "act2", b.node("Relu", "relu2", {sum}), kActScale));
}

void expect_residual_block_fused(const Graph& g) {
  EXPECT_EQ(count_ops(g, "QConv"), 2);
  EXPECT_EQ(count_ops(g, "Conv") + count_ops(g, "FusedConv"), 0);
  EXPECT_EQ(count_ops(g, "QuantizeLinear"), 1);    // the graph input's
  EXPECT_EQ(count_ops(g, "DequantizeLinear"), 1);  // the graph output's
  const Node* first = nth_op(g, "QConv", 0);
  const Node* second = nth_op(g, "QConv", 1);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->domain(), "kiln");
  EXPECT_EQ(first->name(), "in.dq + conv1 + relu1 + act1.q");
  EXPECT_EQ(first->input(kQInput)->name(), "in.q.out");
  EXPECT_EQ(first->input(kQWeights)->dtype(), DataType::kInt8);
  EXPECT_EQ(first->output(0)->dtype(), DataType::kInt8);
  EXPECT_EQ(first->attr_string("activation"), "Relu");
  EXPECT_EQ(second->input(kQResidual), first->output(0));
  EXPECT_FLOAT_EQ(second->input(kQResidualScale)->constant().data<float>()[0], kActScale);
  EXPECT_FLOAT_EQ(second->input(kQOutputScale)->constant().data<float>()[0], kActScale);
  // The weight scales are the pass's own: max |w_k| / 127 = 2^-7 here.
  const Tensor& ws = second->input(kQWeightScale)->constant();
  ASSERT_EQ(ws.numel(), 4);
  for (int64_t k = 0; k < 4; ++k) EXPECT_EQ(ws.data<float>()[k], 1.f / 128);
}

TEST(FuseQdq, ResidualBlockBecomesQConvsWithInt8ResidualAndOutputs) {
  GraphBuilder b(13);
  build_residual_block(b);
  auto o = optimize_and_compare(b, 2);
  expect_residual_block_fused(*o.graph);
  EXPECT_NE(o.report.to_string().find("(DequantizeLinear -> FusedConv -> QuantizeLinear, int8 residual)"),
            std::string::npos)
      << o.report.to_string();
}

TEST(FuseQdq, QuantizesDequantizedWeightsThatWereNotFolded) {
  GraphBuilder b(13);
  build_residual_block(b);
  auto o = optimize_and_compare(b, 2, {"constant_folding"});
  expect_residual_block_fused(*o.graph);
}

TEST(FuseQdq, GemmAndMatMulBecomeQMatMulsWithFloatOutputs) {
  GraphBuilder b(13);
  Value* x = fake_quant(b, "in", b.input("x", {3, 16}), kInScale);
  // Gemm with transB, alpha and beta: normalized into the weights and bias (powers of two keep it exact).
  b.output(b.node("Gemm", "gemm", {x, b.constant("wg", exact_weights({8, 16}, 0, 3)), b.weights("c", {8})},
                  {{"transB", Attribute::of_int(1)}, {"alpha", Attribute::of_float(0.5f)}, {"beta", Attribute::of_float(2.f)}}));
  Value* mm = b.node("MatMul", "mm", {x, b.constant("wm", exact_weights({16, 5}, 1, 4))});
  b.output(b.node("Relu", "relu", {b.node("Add", "bias", {mm, b.weights("bm", {5})})}));
  auto o = optimize_and_compare(b, 2);
  EXPECT_EQ(count_ops(*o.graph, "QMatMul"), 2);
  EXPECT_EQ(count_ops(*o.graph, "Gemm") + count_ops(*o.graph, "MatMul") + count_ops(*o.graph, "FusedMatMul"), 0);
  for (const auto& n : o.graph->nodes())
    if (n->op_type() == "QMatMul") {
      EXPECT_EQ(n->output(0)->dtype(), DataType::kFloat32);
      EXPECT_EQ(n->input(kQWeights)->constant().dims(), (std::vector<int64_t>{16, n->name().find("gemm") != std::string::npos ? 8 : 5}));
    }
}

TEST(FuseQdq, FloatResidualAndOutputWithOtherReadersStayFloat) {
  GraphBuilder b(13);
  Value* skip = b.input("skip", {1, 4, 6, 6});
  Value* a0 = fake_quant(b, "in", b.input("x", {1, 4, 6, 6}), kInScale);
  Value* y = b.node("Relu", "relu", {b.node("Add", "add", {conv(b, "conv", a0, exact_conv_weights(b, "w", 4, 4, 9), 4), skip})});
  b.output(dequantize(b, "out.dq", quantize(b, "out.q", y, kActScale), kActScale));
  b.output(y);  // a second reader: the layer's output must stay float
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(count_ops(*o.graph, "QConv"), 1);
  const Node* q = find_op(*o.graph, "QConv");
  EXPECT_EQ(q->input(kQResidual)->name(), "skip");
  EXPECT_EQ(q->input(kQResidualScale), nullptr);
  EXPECT_EQ(q->input(kQOutputScale), nullptr);
  EXPECT_EQ(q->output(0)->dtype(), DataType::kFloat32);
  EXPECT_EQ(count_ops(*o.graph, "QuantizeLinear"), 2);
}

TEST(FuseQdq, LeavesAsymmetricAndPerChannelActivationsAsFakeQuant) {
  GraphBuilder b(13);
  Value* x = b.input("x", {1, 4, 6, 6});
  Value* zp = b.constant("zp", make_tensor<uint8_t>(DataType::kUInt8, {}, {3}));
  Value* u8 = b.node("DequantizeLinear", "dq_u8", {b.node("QuantizeLinear", "q_u8", {x, b.scalar("s", kInScale), zp}), b.scalar("s2", kInScale), zp});
  b.output(conv(b, "conv_u8", u8, exact_conv_weights(b, "w1", 4, 4, 10), 4));
  Value* scales = b.constant("cs", make_tensor<float>(DataType::kFloat32, {4}, {1.f / 64, 1.f / 32, 1.f / 64, 1.f / 16}));
  Value* czp = b.constant("czp", Tensor(DataType::kInt8, {4}));
  Value* per_channel = b.node("DequantizeLinear", "dq_pc", {b.node("QuantizeLinear", "q_pc", {x, scales, czp}), scales, czp});
  b.output(conv(b, "conv_pc", per_channel, exact_conv_weights(b, "w2", 4, 4, 11), 4));
  auto o = optimize_and_compare(b, 3);
  EXPECT_EQ(count_ops(*o.graph, "QConv"), 0);
  EXPECT_EQ(count_ops(*o.graph, "QuantizeLinear"), 2);
  EXPECT_EQ(count_ops(*o.graph, "DequantizeLinear"), 2);
}

// FP8: float8e4m3 Q/DQ pairs make layers with E4M3 X and weights (scale max|w_k| / 448) and float
// outputs; a residual from an E4M3 DequantizeLinear stays float (the DQ stays for it).
TEST(FuseQdq, Fp8ConvAndMatMulBecomeFp8LayersWithFloatOutputs) {
  const DataType fp8 = DataType::kFloat8E4M3;
  GraphBuilder b(13);
  Value* a0 = fake_quant(b, "in", b.input("x", {1, 16, 6, 6}), kInScale, fp8);
  Value* c = conv(b, "conv", a0, b.constant("w", exact_fp8_weights({16, 16, 3, 3}, 0, 11)), 16);
  b.output(b.node("Relu", "relu", {b.node("Add", "add", {c, a0})}));
  Value* a1 = fake_quant(b, "in2", b.input("x2", {3, 32}), kInScale, fp8);
  b.output(b.node("MatMul", "mm", {a1, b.constant("wm", exact_fp8_weights({32, 16}, 1, 12))}));
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(count_ops(*o.graph, "QConv"), 1);
  ASSERT_EQ(count_ops(*o.graph, "QMatMul"), 1);
  EXPECT_EQ(count_ops(*o.graph, "DequantizeLinear"), 1);  // the residual's
  for (const char* op : {"QConv", "QMatMul"}) {
    const Node* q = find_op(*o.graph, op);
    EXPECT_EQ(q->input(kQInput)->dtype(), fp8) << op;
    EXPECT_EQ(q->input(kQWeights)->dtype(), fp8) << op;
    EXPECT_EQ(q->input(kQOutputScale), nullptr) << op;
    EXPECT_EQ(q->output(0)->dtype(), DataType::kFloat32) << op;
    const Tensor& ws = q->input(kQWeightScale)->constant();
    for (int64_t k = 0; k < ws.numel(); ++k) EXPECT_EQ(ws.data<float>()[k], 1.f / 512) << op;
  }
  const Node* qconv = find_op(*o.graph, "QConv");
  EXPECT_EQ(qconv->input(kQResidual)->dtype(), DataType::kFloat32);
  EXPECT_EQ(qconv->input(kQResidualScale), nullptr);
  EXPECT_EQ(qconv->input(kQResidual)->producer()->op_type(), "DequantizeLinear");
}

}  // namespace
}  // namespace kiln::testing
