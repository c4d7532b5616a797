// The CUDA lowering of the quantized layers: FP16 precision assignment and channels-last layout
// leave their int8 tensors, scales and bias alone and still compute what the optimized graph did.
#include <cmath>

#include "builder/layout_assignment.h"
#include "builder/precision_assignment.h"
#include "ir/ops/fused_ops.h"
#include "passes/qdq_test_util.h"

namespace kiln::testing {
namespace {

constexpr float kInScale = 1.f / 64, kActScale = 1.f / 16;

// Q(x) -> DQ -> conv1 + relu -> Q -> DQ -> conv2 (grouped, + float residual x) -> graph output:
// one QConv with an int8 output, one with a float output.
void build_qconv_pair(GraphBuilder& b) {
  Value* x = b.input("x", {1, 4, 6, 6});
  Value* a0 = fake_quant(b, "in", x, kInScale);
  Value* c1 = b.node("Conv", "conv1", {a0, b.constant("w1", exact_weights({8, 4, 3, 3}, 0, 1)), b.weights("b1", {8})},
                     {{"pads", ints({1, 1, 1, 1})}});
  Value* a1 = fake_quant(b, "act1", b.node("Relu", "relu1", {c1}), kActScale);
  Value* c2 = b.node("Conv", "conv2", {a1, b.constant("w2", exact_weights({4, 4, 3, 3}, 0, 2)), b.weights("b2", {4})},
                     {{"pads", ints({1, 1, 1, 1})}, {"group", Attribute::of_int(2)}});
  b.output(b.node("Add", "add", {c2, x}));
}

// Inputs that are multiples of 2^-8 in [-1, 1): exact in float16, so the 16-bit graph quantizes
// its input to the same int8 values.
std::vector<Tensor> half_exact_inputs(GraphBuilder& b) {
  auto inputs = b.random_inputs();
  for (Tensor& t : inputs)
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = std::round(t.data<float>()[i] * 256.f) / 256.f;
  return inputs;
}

const Node* quantized_conv(const Graph& g, bool int8_output) {
  for (const auto& n : g.nodes())
    if (n->op_type() == kQConvOp && (n->input(kQOutputScale) != nullptr) == int8_output) return n.get();
  return nullptr;
}

TEST(QuantizedLayerLowering, Float16KeepsInt8TensorsScalesAndBias) {
  GraphBuilder b(13);
  build_qconv_pair(b);
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(count_ops(*o.graph, "QConv"), 2);
  std::unique_ptr<Graph> half = o.graph->clone();
  ASSERT_TRUE(assign_precision(*half, DataType::kFloat16).ok());
  const Node* first = quantized_conv(*half, true);
  const Node* second = quantized_conv(*half, false);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->output(0)->dtype(), DataType::kInt8);
  EXPECT_EQ(first->attr_int("output_dtype"), 1);  // unused: the output is int8
  EXPECT_EQ(second->attr_int("output_dtype"), 10);
  EXPECT_EQ(second->output(0)->dtype(), DataType::kFloat16);
  EXPECT_EQ(second->input(kQResidual)->dtype(), DataType::kFloat16);
  for (const Node* n : {first, second}) {
    EXPECT_EQ(n->input(kQInput)->dtype(), DataType::kInt8);
    EXPECT_EQ(n->input(kQWeights)->dtype(), DataType::kInt8);
    for (int i : {kQInputScale, kQWeightScale, kQBias, kQOutputScale}) {
      if (n->input(i) != nullptr) {
        EXPECT_EQ(n->input(i)->dtype(), DataType::kFloat32) << n->name() << " input " << i;
      }
    }
  }
  const auto difference = output_difference(*half, *o.graph, half_exact_inputs(b));
  ASSERT_TRUE(difference.ok()) << difference.status().to_string();
  // Identical int8 activations; the float16 output and residual each round once (2^-11 relative).
  EXPECT_LE(*difference, 2e-3);
}

TEST(QuantizedLayerLowering, ChannelsLastWrapsQConvWithPermutedInt8Weights) {
  GraphBuilder b(13);
  build_qconv_pair(b);
  auto o = optimize_and_compare(b, 2);
  std::unique_ptr<Graph> lowered = o.graph->clone();
  const Tensor w1 = quantized_conv(*lowered, true)->input(kQWeights)->constant();
  const Value* w_scale = quantized_conv(*lowered, true)->input(kQWeightScale);
  auto report = assign_channels_last(*lowered);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->channels_last_layers, 2);
  EXPECT_EQ(count_ops(*lowered, "QConv"), 0);
  const Node* layer = nullptr;
  for (const auto& n : lowered->nodes())
    if (n->op_type() == kChannelsLastOp && n->attr("body")->g->nodes()[0]->input(kQOutputScale) != nullptr) layer = n.get();
  ASSERT_NE(layer, nullptr);
  EXPECT_EQ(layer->attr_ints("nhwc_inputs"), (std::vector<int64_t>{1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(layer->input(kQWeightScale), w_scale);  // per-channel scales untouched
  const Tensor& w = layer->input(kQWeights)->constant();
  ASSERT_EQ(w.dims(), (std::vector<int64_t>{8, 3, 3, 4}));  // [K, kh, kw, C/g]
  for (int64_t k = 0; k < 8; ++k)
    for (int64_t c = 0; c < 4; ++c)
      for (int64_t h = 0; h < 3; ++h)
        for (int64_t x = 0; x < 3; ++x)
          ASSERT_EQ(w.data<int8_t>()[((k * 3 + h) * 3 + x) * 4 + c], w1.data<int8_t>()[((k * 4 + c) * 3 + h) * 3 + x]);
  const auto difference = output_difference(*lowered, *o.graph, b.random_inputs());
  ASSERT_TRUE(difference.ok()) << difference.status().to_string();
  EXPECT_EQ(*difference, 0.0);  // the same kernels on permuted copies
}

// INT8 calibration's graph: conv + relu -> MaxPool -> Q/DQ -> conv. The Q moves before the pool,
// so the pool runs on int8 and stays channels-last between the two quantized convolutions.
TEST(QuantizedLayerLowering, Int8MaxPoolStaysChannelsLast) {
  GraphBuilder b(13);
  Value* a0 = fake_quant(b, "in", b.input("x", {1, 4, 8, 8}), kInScale);
  Value* c1 = b.node("Conv", "conv1", {a0, b.constant("w1", exact_weights({8, 4, 3, 3}, 0, 1))},
                     {{"pads", ints({1, 1, 1, 1})}});
  Value* pooled = b.node("MaxPool", "pool", {b.node("Relu", "relu1", {c1})},
                         {{"kernel_shape", ints({2, 2})}, {"strides", ints({2, 2})}});
  b.output(b.node("Conv", "conv2", {fake_quant(b, "act1", pooled, kActScale), b.constant("w2", exact_weights({4, 8, 1, 1}, 0, 2))}));
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(count_ops(*o.graph, "QConv"), 2);
  std::unique_ptr<Graph> lowered = o.graph->clone();
  auto report = assign_channels_last(*lowered);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->channels_last_layers, 3);  // both convolutions and the int8 pool
  EXPECT_EQ(count_ops(*lowered, "MaxPool"), 0);
  EXPECT_EQ(count_ops(*lowered, "Transpose"), 2);  // only into and out of the region
  const auto difference = output_difference(*lowered, *o.graph, b.random_inputs());
  ASSERT_TRUE(difference.ok()) << difference.status().to_string();
  EXPECT_EQ(*difference, 0.0);  // the same kernels on permuted copies
}

// INT8's RGB stem: Q(x) -> DQ -> 7x7 stride-2 conv + relu -> MaxPool -> Q -> DQ -> 1x1 conv. The
// graph input is quantized: FP16 precision leaves it float32 (its only reader is the quantizer,
// which keeps a float32 scale: no Cast), the Q moves before the pool, and channels-last lowering
// transposes the int8 input into the region, not the float one.
void build_int8_stem(GraphBuilder& b) {
  Value* x = b.input("x", {2, 3, 16, 14});
  Value* c1 = b.node("Conv", "stem", {fake_quant(b, "in", x, kInScale), b.constant("w1", exact_weights({16, 3, 7, 7}, 0, 1))},
                     {{"strides", ints({2, 2})}, {"pads", ints({3, 3, 3, 3})}});
  Value* pooled = b.node("MaxPool", "pool", {b.node("Relu", "relu1", {c1})},
                         {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 2})}, {"pads", ints({1, 1, 1, 1})}});
  b.output(b.node("Conv", "conv2", {fake_quant(b, "act1", pooled, kActScale), b.constant("w2", exact_weights({16, 16, 1, 1}, 0, 2))}));
}

TEST(QuantizedLayerLowering, Int8StemQuantizesTheFloat32InputAndTransposesInt8) {
  GraphBuilder b(13);
  build_int8_stem(b);
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(count_ops(*o.graph, "QConv"), 2);

  std::unique_ptr<Graph> lowered = o.graph->clone();
  ASSERT_TRUE(assign_precision(*lowered, DataType::kFloat16).ok());
  EXPECT_EQ(count_ops(*lowered, "Cast"), 1) << "only the output's";
  const Node* quantize = nullptr;
  for (const auto& n : lowered->nodes())
    if (n->op_type() == "QuantizeLinear") quantize = n.get();
  ASSERT_NE(quantize, nullptr);
  EXPECT_EQ(quantize->input(0), lowered->inputs()[0]);
  EXPECT_EQ(quantize->input(1)->dtype(), DataType::kFloat32);
  auto report = assign_channels_last(*lowered);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->channels_last_layers, 3);  // both convolutions and the int8 pool
  // Into the region: the quantizer's int8 output; out of it: the graph output.
  int int8_transposes = 0;
  for (const auto& n : lowered->nodes())
    if (n->op_type() == "Transpose") {
      EXPECT_NE(n->input(0), lowered->inputs()[0]) << dump_graph(*lowered);
      int8_transposes += n->input(0)->dtype() == DataType::kInt8 && n->input(0)->producer() == quantize;
    }
  EXPECT_EQ(int8_transposes, 1) << dump_graph(*lowered);
  EXPECT_EQ(count_ops(*lowered, "Transpose"), 2) << dump_graph(*lowered);
  const auto difference = output_difference(*lowered, *o.graph, b.random_inputs());
  ASSERT_TRUE(difference.ok()) << difference.status().to_string();
  // Identical int8 activations (the input is quantized from float32 either way); the float16
  // output rounds once.
  EXPECT_LE(*difference, 2e-3);
}

// The same stem after lowering's fusion: the quantizer and the reformat into the region are one
// kiln.QuantizeTranspose reading the graph input, and the lowered graph still computes exactly
// what the optimized one does (inputs in [-4, 4): some saturate at scale 1/64).
TEST(QuantizedLayerLowering, Int8StemQuantizerFusesWithItsReformat) {
  GraphBuilder b(13);
  build_int8_stem(b);
  auto o = optimize_and_compare(b, 2);
  std::unique_ptr<Graph> lowered = o.graph->clone();
  ASSERT_TRUE(assign_channels_last(*lowered).ok());
  PassOptions options;
  options.level = 2;
  auto report = lower_graph(*lowered, options);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(count_ops(*lowered, "QuantizeLinear"), 0) << dump_graph(*lowered);
  EXPECT_EQ(count_ops(*lowered, "Transpose"), 1) << "only the output's";
  const Node* fused = find_op(*lowered, std::string(kQuantizeTransposeOp));
  ASSERT_NE(fused, nullptr) << dump_graph(*lowered);
  EXPECT_EQ(fused->input(0), lowered->inputs()[0]);
  EXPECT_EQ(fused->output(0)->dtype(), DataType::kInt8);
  EXPECT_EQ(fused->output(0)->shape(), Shape::from_dims({2, 16, 14, 3}));
  EXPECT_NE(fused->name().find(" + "), std::string::npos) << fused->name();
  std::vector<Tensor> inputs = b.random_inputs();
  for (int64_t i = 0; i < inputs[0].numel(); ++i) inputs[0].data<float>()[i] *= 4.f;
  const auto difference = output_difference(*lowered, *o.graph, inputs);
  ASSERT_TRUE(difference.ok()) << difference.status().to_string();
  EXPECT_EQ(*difference, 0.0);
}

// FP8: conv (E4M3 X and W) -> Q -> DQ -> 1x1 conv, both with float outputs. FP16 precision rewrites
// their output_dtype and leaves the E4M3 tensors; channels-last wraps both convolutions (the
// QuantizeLinear between them is layout-agnostic) and computes what the optimized graph did.
TEST(QuantizedLayerLowering, Fp8LayersTakeFloat16OutputsAndRunChannelsLast) {
  const DataType fp8 = DataType::kFloat8E4M3;
  GraphBuilder b(13);
  Value* a0 = fake_quant(b, "in", b.input("x", {1, 16, 6, 6}), kInScale, fp8);
  Value* c1 = b.node("Conv", "conv1", {a0, b.constant("w1", exact_fp8_weights({16, 16, 3, 3}, 0, 1))},
                     {{"pads", ints({1, 1, 1, 1})}});
  Value* a1 = fake_quant(b, "act1", b.node("Relu", "relu1", {c1}), kActScale, fp8);
  b.output(b.node("Conv", "conv2", {a1, b.constant("w2", exact_fp8_weights({32, 16, 1, 1}, 0, 2))}));
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(count_ops(*o.graph, "QConv"), 2);

  std::unique_ptr<Graph> half = o.graph->clone();
  ASSERT_TRUE(assign_precision(*half, DataType::kFloat16).ok());
  for (const auto& n : half->nodes())
    if (n->op_type() == kQConvOp) {
      EXPECT_EQ(n->input(kQInput)->dtype(), fp8);
      EXPECT_EQ(n->input(kQWeights)->dtype(), fp8);
      EXPECT_EQ(n->attr_int("output_dtype"), 10);
      EXPECT_EQ(n->output(0)->dtype(), DataType::kFloat16);
    }

  std::unique_ptr<Graph> lowered = o.graph->clone();
  auto report = assign_channels_last(*lowered);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->channels_last_layers, 2);
  EXPECT_EQ(count_ops(*lowered, "QConv"), 0);
  const auto difference = output_difference(*lowered, *o.graph, b.random_inputs());
  ASSERT_TRUE(difference.ok()) << difference.status().to_string();
  EXPECT_EQ(*difference, 0.0);  // the same kernels on permuted copies
}


// ResNet's tail in INT8: conv + relu writes int8 (Q folded), kiln.QGlobalAveragePool reads it,
// then Flatten. FP16 makes the pool's output float16 (its scale stays float32); channels-last
// lowering keeps the int8 tensor channels-last between the conv and the pool.
void build_int8_pool_tail(GraphBuilder& b) {
  Value* a0 = fake_quant(b, "in", b.input("x", {2, 4, 6, 6}), kInScale);
  Value* c1 = b.node("Conv", "conv1", {a0, b.constant("w1", exact_weights({16, 4, 3, 3}, 0, 1)), b.weights("b1", {16})},
                     {{"pads", ints({1, 1, 1, 1})}});
  Value* act = fake_quant(b, "act1", b.node("Relu", "relu1", {c1}), kActScale);
  b.output(b.node("Flatten", "flatten", {b.node("GlobalAveragePool", "pool", {act})}));
}

TEST(QuantizedLayerLowering, DequantizingPoolTakesFloat16OutputAndStaysChannelsLast) {
  GraphBuilder b(13);
  build_int8_pool_tail(b);
  auto o = optimize_and_compare(b, 2);
  ASSERT_EQ(count_ops(*o.graph, "QConv"), 1);
  ASSERT_EQ(count_ops(*o.graph, "QGlobalAveragePool"), 1);

  std::unique_ptr<Graph> half = o.graph->clone();
  ASSERT_TRUE(assign_precision(*half, DataType::kFloat16).ok());
  const Node* pool = find_op(*half, "QGlobalAveragePool");
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->attr_int("output_dtype"), 10);
  EXPECT_EQ(pool->output(0)->dtype(), DataType::kFloat16);
  EXPECT_EQ(pool->input(0)->dtype(), DataType::kInt8);
  EXPECT_EQ(pool->input(1)->dtype(), DataType::kFloat32);
  const auto half_difference = output_difference(*half, *o.graph, half_exact_inputs(b));
  ASSERT_TRUE(half_difference.ok()) << half_difference.status().to_string();
  EXPECT_LE(*half_difference, 2e-3);  // the same int8 tensor; the means rounded to float16

  std::unique_ptr<Graph> lowered = o.graph->clone();
  auto report = assign_channels_last(*lowered);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->channels_last_layers, 2);  // the conv and the pool
  EXPECT_EQ(count_ops(*lowered, "QGlobalAveragePool"), 0);
  const Node* wrapped = nullptr;
  for (const auto& n : lowered->nodes())
    if (n->op_type() == kChannelsLastOp && n->attr("body")->g->nodes()[0]->op_type() == kQGlobalAveragePoolOp)
      wrapped = n.get();
  ASSERT_NE(wrapped, nullptr) << dump_graph(*lowered);
  EXPECT_EQ(wrapped->attr_ints("nhwc_inputs"), (std::vector<int64_t>{1, 0, 0}));
  EXPECT_EQ(wrapped->input(0)->producer()->op_type(), kChannelsLastOp);  // the conv's int8 output, no reformat
  EXPECT_EQ(wrapped->output(0)->shape().static_dims(), (std::vector<int64_t>{2, 1, 1, 16}));
  const auto difference = output_difference(*lowered, *o.graph, b.random_inputs());
  ASSERT_TRUE(difference.ok()) << difference.status().to_string();
  EXPECT_EQ(*difference, 0.0);  // the same kernels on permuted copies
}

}  // namespace
}  // namespace kiln::testing
