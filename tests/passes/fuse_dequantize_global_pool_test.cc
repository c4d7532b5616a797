#include <cstring>

#include "ir/ops/fused_ops.h"
#include "passes/qdq_test_util.h"

namespace kiln::testing {
namespace {

constexpr float kInScale = 1.f / 64, kActScale = 1.f / 16;

Value* uint8_constant(GraphBuilder& b, const std::string& name, uint8_t v) {
  return b.constant(name, make_tensor<uint8_t>(DataType::kUInt8, {}, {v}));
}

// Outputs of `a` and `b` on the same inputs, to the bit.
void expect_same_outputs(const Graph& a, const Graph& b, const std::vector<Tensor>& inputs) {
  auto out_a = run_reference(a, inputs);
  auto out_b = run_reference(b, inputs);
  ASSERT_TRUE(out_a.ok()) << out_a.status().to_string();
  ASSERT_TRUE(out_b.ok()) << out_b.status().to_string();
  ASSERT_EQ(out_a->size(), out_b->size());
  for (size_t i = 0; i < out_a->size(); ++i) {
    ASSERT_EQ((*out_a)[i].nbytes(), (*out_b)[i].nbytes());
    EXPECT_EQ(std::memcmp((*out_a)[i].raw(), (*out_b)[i].raw(), (*out_a)[i].nbytes()), 0) << "output " << i;
  }
}

// ResNet's tail as INT8 calibration leaves it: the last conv (+ relu) with Q/DQ on its input and
// on its output, which only the global pool reads; then Flatten.
void build_tail(GraphBuilder& b) {
  Value* x = fake_quant(b, "in", b.input("x", {2, 8, 5, 5}), kInScale);
  Value* conv = b.node("Conv", "conv", {x, b.constant("w", exact_weights({16, 8, 3, 3}, 0, 3)), b.weights("b", {16})},
                       {{"pads", ints({1, 1, 1, 1})}});
  Value* act = fake_quant(b, "act", b.node("Relu", "relu", {conv}), kActScale);
  b.output(b.node("Flatten", "flatten", {b.node("GlobalAveragePool", "pool", {act})}));
}

TEST(FuseDequantizeGlobalPool, ConvWritesInt8AndThePoolReadsIt) {
  GraphBuilder b(13);
  build_tail(b);
  auto o = optimize_and_compare(b, 2);
  const Graph& g = *o.graph;
  EXPECT_EQ(count_ops(g, "GlobalAveragePool"), 0) << dump_graph(g);
  EXPECT_EQ(count_ops(g, "DequantizeLinear"), 0) << dump_graph(g);
  EXPECT_EQ(count_ops(g, "QuantizeLinear"), 1);  // the graph input's
  ASSERT_EQ(count_ops(g, "QConv"), 1);
  ASSERT_EQ(count_ops(g, "QGlobalAveragePool"), 1);
  const Node* conv = find_op(g, "QConv");
  const Node* pool = find_op(g, "QGlobalAveragePool");
  EXPECT_EQ(conv->output(0)->dtype(), DataType::kInt8);
  EXPECT_EQ(pool->domain(), "kiln");
  EXPECT_EQ(pool->name(), "act.dq + pool");
  EXPECT_EQ(pool->input(0), conv->output(0));
  EXPECT_EQ(pool->input(1)->constant().data<float>()[0], kActScale);
  EXPECT_EQ(pool->output(0)->dtype(), DataType::kFloat32);
  EXPECT_EQ(pool->output(0)->shape().static_dims(), (std::vector<int64_t>{2, 16, 1, 1}));
  EXPECT_NE(o.report.to_string().find("(DequantizeLinear -> GlobalAveragePool, int8)"), std::string::npos)
      << o.report.to_string();
  // The fused graph computes what the unfused one does, to the bit (the Q/DQ pairs are exact
  // with these weights, and the pool's reference runs DequantizeLinear and GlobalAveragePool).
  expect_same_outputs(g, b.graph(), b.random_inputs());
}

TEST(FuseDequantizeGlobalPool, DisabledLeavesTheFakeQuantPool) {
  GraphBuilder b(13);
  build_tail(b);
  auto o = optimize_and_compare(b, 2, {"fuse_dequantize_global_pool"});
  EXPECT_EQ(count_ops(*o.graph, "QGlobalAveragePool"), 0);
  EXPECT_EQ(count_ops(*o.graph, "GlobalAveragePool"), 1);
  EXPECT_EQ(count_ops(*o.graph, "DequantizeLinear"), 1);
}

// uint8 with a zero point, over 1 and 3 spatial axes; the DQ's other reader keeps it.
TEST(FuseDequantizeGlobalPool, Uint8WithZeroPointAndOtherRanksKeepingTheDequantizeForItsOtherReader) {
  GraphBuilder b(13);
  const std::vector<std::pair<std::string, std::vector<int64_t>>> inputs = {{"r3", {2, 6, 11}}, {"r5", {1, 4, 3, 5, 2}}};
  for (const auto& [n, dims] : inputs) {
    Value* q = b.node("QuantizeLinear", n + ".q", {b.input(n, dims), b.scalar(n + ".qs", 1.f / 128), uint8_constant(b, n + ".qz", 120)});
    Value* dq = b.node("DequantizeLinear", n + ".dq", {q, b.scalar(n + ".dqs", 1.f / 128), uint8_constant(b, n + ".dqz", 120)});
    b.output(b.node("GlobalAveragePool", n + ".pool", {dq}));
    if (dims.size() == 3) b.output(dq);
  }
  auto o = optimize_and_compare(b, 2);
  const Graph& g = *o.graph;
  EXPECT_EQ(count_ops(g, "QGlobalAveragePool"), 2) << dump_graph(g);
  EXPECT_EQ(count_ops(g, "GlobalAveragePool"), 0);
  EXPECT_EQ(count_ops(g, "DequantizeLinear"), 1);  // the graph output's
  for (const auto& n : g.nodes())
    if (n->op_type() == "QGlobalAveragePool") {
      EXPECT_EQ(n->input(0)->dtype(), DataType::kUInt8);
      ASSERT_NE(n->input(2), nullptr);
      EXPECT_EQ(n->input(2)->constant().data<uint8_t>()[0], 120);
    }
  expect_same_outputs(g, b.graph(), b.random_inputs());
}

// A per-channel DQ, or a pool without spatial axes, is left as it is.
TEST(FuseDequantizeGlobalPool, LeavesPerChannelDequantizeAndRank2Pools) {
  GraphBuilder b(13);
  Value* q = quantize(b, "q", b.input("x", {2, 4, 3, 3}), kInScale);
  Value* scales = b.constant("scales", make_tensor<float>(DataType::kFloat32, {4}, {0.5f, 0.25f, 0.125f, 1.f}));
  Value* zeros = b.constant("zeros", make_tensor<int8_t>(DataType::kInt8, {4}, {0, 0, 0, 0}));
  b.output(b.node("GlobalAveragePool", "pool", {b.node("DequantizeLinear", "dq", {q, scales, zeros})}));
  b.output(b.node("GlobalAveragePool", "flat_pool", {fake_quant(b, "flat", b.input("y", {3, 5}), kInScale)}));
  auto o = optimize_and_compare(b, 2);
  EXPECT_EQ(count_ops(*o.graph, "QGlobalAveragePool"), 0) << dump_graph(*o.graph);
  EXPECT_EQ(count_ops(*o.graph, "GlobalAveragePool"), 2);
}

}  // namespace
}  // namespace kiln::testing
