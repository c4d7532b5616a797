#include "ir/ops/fused_ops.h"
#include "passes/qdq_test_util.h"

namespace kiln::testing {
namespace {

Tensor int8_weights(std::vector<int64_t> dims, int axis, uint32_t seed) {
  const Tensor w = exact_weights(std::move(dims), axis, seed);
  Tensor q(DataType::kInt8, w.dims());
  for (int64_t i = 0; i < w.numel(); ++i) q.data<int8_t>()[i] = static_cast<int8_t>(w.data<float>()[i] * 128.f);
  return q;
}

// QLinearConv (per-channel w_scale, int32 bias) and QLinearMatMul between a Q of the input and a
// DQ of the output; power-of-two scales make both forms exact.
TEST(FuseQLinear, SymmetricInt8LayersBecomeQuantizedLayers) {
  GraphBuilder b(13);
  Value* xq = quantize(b, "in.q", b.input("x", {1, 4, 5, 5}), 1.f / 32);
  Tensor bias(DataType::kInt32, {3});
  for (int64_t k = 0; k < 3; ++k) bias.data<int32_t>()[k] = static_cast<int32_t>(100 * k - 77);
  Value* yq = b.node("QLinearConv", "qconv",
                     {xq, b.scalar("xs", 1.f / 32), int8_zero(b, "xz"), b.constant("w", int8_weights({3, 4, 3, 3}, 0, 5)),
                      b.constant("ws", make_tensor<float>(DataType::kFloat32, {3}, {1.f / 128, 1.f / 64, 1.f / 256})),
                      int8_zero(b, "wz"), b.scalar("ys", 1.f / 8), int8_zero(b, "yz"), b.constant("b", bias)},
                     {{"pads", ints({1, 1, 1, 1})}, {"strides", ints({2, 2})}});
  b.output(dequantize(b, "conv.dq", yq, 1.f / 8));
  Value* mq = quantize(b, "m.q", b.input("m", {2, 3, 8}), 1.f / 16);
  Value* mmq = b.node("QLinearMatMul", "qmm",
                      {mq, b.scalar("as", 1.f / 16), int8_zero(b, "az"), b.constant("bw", int8_weights({8, 6}, 1, 6)),
                       b.scalar("bs", 1.f / 128), int8_zero(b, "bz"), b.scalar("ms", 1.f / 32), int8_zero(b, "mz")});
  b.output(dequantize(b, "mm.dq", mmq, 1.f / 32));
  auto o = optimize_and_compare(b, 2);
  EXPECT_EQ(count_ops(*o.graph, "QLinearConv") + count_ops(*o.graph, "QLinearMatMul"), 0);
  const Node* conv = find_op(*o.graph, "QConv");
  const Node* mm = find_op(*o.graph, "QMatMul");
  ASSERT_TRUE(conv && mm);
  EXPECT_EQ(conv->name(), "qconv");
  EXPECT_EQ(conv->output(0)->dtype(), DataType::kInt8);
  EXPECT_EQ(conv->attr_ints("strides"), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(conv->input(kQBias)->dtype(), DataType::kFloat32);
  EXPECT_EQ(mm->input(kQWeightScale)->constant().numel(), 6);  // per-tensor b_scale, one per column
}

TEST(FuseQLinear, KeepsUint8OrNonzeroZeroPoints) {
  GraphBuilder b(13);
  Value* zp = b.constant("zp", make_tensor<uint8_t>(DataType::kUInt8, {}, {128}));
  Value* xq = b.node("QuantizeLinear", "in.q", {b.input("x", {2, 8}), b.scalar("s", 1.f / 32), zp});
  Tensor w(DataType::kUInt8, {8, 4});
  for (int64_t i = 0; i < w.numel(); ++i) w.data<uint8_t>()[i] = static_cast<uint8_t>(37 * i % 256);
  Value* y = b.node("QLinearMatMul", "qmm", {xq, b.scalar("as", 1.f / 32), zp, b.constant("w", w), b.scalar("ws", 1.f / 64), zp,
                                            b.scalar("ys", 1.f / 4), zp});
  b.output(b.node("DequantizeLinear", "out", {y, b.scalar("os", 1.f / 4), zp}));
  auto o = optimize_and_compare(b, 3);
  EXPECT_EQ(count_ops(*o.graph, "QLinearMatMul"), 1);
  EXPECT_EQ(count_ops(*o.graph, "QMatMul"), 0);
}

}  // namespace
}  // namespace kiln::testing
