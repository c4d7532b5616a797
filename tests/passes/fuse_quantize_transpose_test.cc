// fuse_quantize_transpose (a lowering pass): QuantizeLinear -> layout reformat becomes one
// kiln.QuantizeTranspose computing the same bytes, and only under its guards.
#include <cstring>

#include "ir/ops/fused_ops.h"
#include "passes/qdq_test_util.h"

namespace kiln::testing {
namespace {

const std::vector<int64_t> kShape = {2, 3, 5, 7};
const std::vector<int64_t> kToChannelsLast = {0, 2, 3, 1};

// x -> QuantizeLinear (per-tensor int8, scale 1/16) -> Transpose(perm) -> graph output; returns
// the quantizer's output.
Value* quantize_then_transpose(GraphBuilder& b, std::vector<int64_t> perm = kToChannelsLast) {
  Value* q = quantize(b, "quant", b.input("x", kShape), 1.f / 16);
  b.output(b.node("Transpose", "quant.nhwc.reformat", {q}, {{"perm", ints(std::move(perm))}}));
  return q;
}

Expected<OptimizationReport> lower(Graph& g) {
  PassOptions options;
  options.level = 2;
  return lower_graph(g, options);
}

// The lowered graph's outputs equal the original's byte for byte on random inputs in [-10, 10)
// (some saturate at scale 1/16).
void expect_same_outputs(const Graph& lowered, const Graph& original) {
  const std::vector<Tensor> inputs = {random_float(kShape, 5, -10.f, 10.f)};
  auto want = run_reference(original, inputs);
  auto got = run_reference(lowered, inputs);
  ASSERT_TRUE(want.ok() && got.ok()) << want.status().to_string() << got.status().to_string();
  ASSERT_EQ(got->size(), want->size());
  for (size_t i = 0; i < want->size(); ++i) {
    ASSERT_EQ((*got)[i].dtype(), (*want)[i].dtype());
    ASSERT_EQ((*got)[i].dims(), (*want)[i].dims());
    EXPECT_EQ(std::memcmp((*got)[i].raw(), (*want)[i].raw(), (*want)[i].nbytes()), 0) << "output " << i;
  }
}

TEST(FuseQuantizeTranspose, FusesQuantizeLinearIntoTheReformat) {
  GraphBuilder b(13);
  quantize_then_transpose(b);
  const Graph& original = b.graph();
  std::unique_ptr<Graph> g = original.clone();
  auto report = lower(*g);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(count_ops(*g, "QuantizeLinear"), 0);
  EXPECT_EQ(count_ops(*g, "Transpose"), 0);
  const Node* fused = find_op(*g, std::string(kQuantizeTransposeOp));
  ASSERT_NE(fused, nullptr) << dump_graph(*g);
  EXPECT_EQ(fused->domain(), kKilnDomain);
  EXPECT_EQ(fused->name(), "quant + quant.nhwc.reformat");
  EXPECT_EQ(fused->attr_ints("perm"), kToChannelsLast);
  EXPECT_EQ(fused->input(0), g->inputs()[0]);
  EXPECT_EQ(fused->output(0), g->outputs()[0]);
  EXPECT_EQ(fused->output(0)->dtype(), DataType::kInt8);
  EXPECT_EQ(fused->output(0)->shape(), Shape::from_dims({2, 5, 7, 3}));
  ASSERT_EQ(report->passes.size(), 1u);
  EXPECT_EQ(report->passes[0].to_string(),
            "pass fuse_quantize_transpose: 2 -> 1 layers\n"
            "  fused 'quant + quant.nhwc.reformat' (QuantizeLinear + Transpose)\n");
  expect_same_outputs(*g, original);
}

TEST(FuseQuantizeTranspose, FusesTheReformatBackToChannelsFirst) {
  GraphBuilder b(13);
  quantize_then_transpose(b, {0, 3, 1, 2});
  const Graph& original = b.graph();
  std::unique_ptr<Graph> g = original.clone();
  ASSERT_TRUE(lower(*g).ok());
  EXPECT_EQ(count_ops(*g, std::string(kQuantizeTransposeOp)), 1) << dump_graph(*g);
  expect_same_outputs(*g, original);
}

// Each case keeps QuantizeLinear and Transpose apart.
void expect_unfused(GraphBuilder& b, const std::string& why) {
  std::unique_ptr<Graph> g = b.graph().clone();
  auto report = lower(*g);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(count_ops(*g, std::string(kQuantizeTransposeOp)), 0) << why << "\n" << dump_graph(*g);
  EXPECT_EQ(count_ops(*g, "QuantizeLinear"), 1) << why;
  EXPECT_EQ(count_ops(*g, "Transpose"), 1) << why;
}

TEST(FuseQuantizeTranspose, KeepsAQuantizerWithAnotherReader) {
  GraphBuilder b(13);
  Value* q = quantize_then_transpose(b);
  b.output(dequantize(b, "other", q, 1.f / 16));
  expect_unfused(b, "the quantized tensor has a second reader");
}

TEST(FuseQuantizeTranspose, KeepsAQuantizerWhoseOutputIsAGraphOutput) {
  GraphBuilder b(13);
  b.output(quantize_then_transpose(b));
  expect_unfused(b, "the quantized tensor is a graph output");
}

TEST(FuseQuantizeTranspose, KeepsAPerAxisQuantizer) {
  GraphBuilder b(13);
  Value* scale = b.constant("scale", make_tensor<float>(DataType::kFloat32, {3}, {0.5f, 0.25f, 2.f}));
  Value* zero = b.constant("zero", make_tensor<int8_t>(DataType::kInt8, {3}, {0, 1, -1}));
  Value* q = b.node("QuantizeLinear", "quant", {b.input("x", kShape), scale, zero}, {{"axis", Attribute::of_int(1)}});
  b.output(b.node("Transpose", "quant.nhwc.reformat", {q}, {{"perm", ints(kToChannelsLast)}}));
  expect_unfused(b, "the scale is per channel");
}

TEST(FuseQuantizeTranspose, KeepsOtherPermutations) {
  GraphBuilder b(13);
  quantize_then_transpose(b, {0, 1, 3, 2});
  expect_unfused(b, "not a layout reformat");
}

TEST(FuseQuantizeTranspose, IsALoweringPassThatCanBeDisabled) {
  GraphBuilder b(13);
  quantize_then_transpose(b);
  std::unique_ptr<Graph> g = b.graph().clone();
  PassOptions options;
  options.level = 2;
  options.disabled = {"fuse_quantize_transpose"};
  ASSERT_TRUE(lower_graph(*g, options).ok());
  EXPECT_EQ(count_ops(*g, std::string(kQuantizeTransposeOp)), 0);
  options.disabled.clear();
  options.level = 1;  // fusions are level 2
  ASSERT_TRUE(lower_graph(*g, options).ok());
  EXPECT_EQ(count_ops(*g, std::string(kQuantizeTransposeOp)), 0);
}

}  // namespace
}  // namespace kiln::testing
