// The CUDA lowering keeps ONNX semantics: the reference backend runs the lowered graph and must
// compute what the optimized graph did.
#include "builder/layout_assignment.h"

#include "builder/precision_assignment.h"
#include "passes/pass_test_util.h"

namespace kiln::testing {
namespace {

// conv-relu -> maxpool -> (1x1 conv | 3x3 conv) siblings -> concat -> residual-style add with a
// per-channel constant -> global pool -> flatten -> gemm: a region with a fork, a concat and a tail.
void build_small_cnn(GraphBuilder& b) {
  Value* x = b.input("x", {2, 3, 16, 16});
  Value* c1 = b.node("Relu", "relu1", {b.node("Conv", "conv1", {x, b.weights("w1", {8, 3, 3, 3}), b.weights("b1", {8})},
                                              {{"pads", ints({1, 1, 1, 1})}})});
  Value* p = b.node("MaxPool", "pool", {c1}, {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 2})}, {"pads", ints({1, 1, 1, 1})}});
  Value* a = b.node("Relu", "a.relu", {b.node("Conv", "a", {p, b.weights("wa", {4, 8, 1, 1})})});
  Value* c = b.node("Relu", "c.relu", {b.node("Conv", "c", {p, b.weights("wc", {6, 8, 1, 1})})});
  Value* d = b.node("Conv", "d", {p, b.weights("wd", {5, 8, 3, 3}, -0.5f, 0.5f)}, {{"pads", ints({1, 1, 1, 1})}, {"group", Attribute::of_int(1)}});
  Value* cat = b.node("Concat", "cat", {a, c, d}, {{"axis", Attribute::of_int(1)}});
  Value* scaled = b.node("Add", "bias", {cat, b.weights("chan", {15, 1, 1})});
  Value* g = b.node("GlobalAveragePool", "gap", {scaled});
  Value* f = b.node("Flatten", "flat", {g});
  b.output(b.node("Gemm", "fc", {f, b.weights("wf", {10, 15}), b.weights("bf", {10})}, {{"transB", Attribute::of_int(1)}}));
}

TEST(LayoutAssignment, LoweredGraphComputesTheSame) {
  GraphBuilder b;
  build_small_cnn(b);
  auto o = optimize_and_compare(b, 3);
  Graph& original = b.graph();
  std::unique_ptr<Graph> lowered = o.graph->clone();
  ASSERT_TRUE(split_multi_output_layers(*lowered).ok());
  auto report = assign_channels_last(*lowered);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  // conv1, the pool, the merged 1x1 convs, the 3x3 conv and the global pool run channels-last.
  EXPECT_EQ(report->channels_last_layers, 5);
  EXPECT_GE(report->region_layers, 2);  // the Split of the merged convs, the Concat and the Add
  // One reformat into the region (the input) and one out of it (before Flatten).
  EXPECT_EQ(report->reformats, 2) << dump_graph(*lowered);
  const auto difference = output_difference(*lowered, original, b.random_inputs());
  ASSERT_TRUE(difference.ok()) << difference.status().to_string();
  EXPECT_LE(*difference, 1e-5);
}

TEST(PrecisionAssignment, HalfStorageKeepsTheUsersDtypes) {
  GraphBuilder b;
  build_small_cnn(b);
  auto o = optimize_and_compare(b, 3);
  Graph& original = b.graph();
  std::unique_ptr<Graph> lowered = o.graph->clone();
  ASSERT_TRUE(assign_precision(*lowered, DataType::kFloat16).ok());
  ASSERT_TRUE(split_multi_output_layers(*lowered).ok());
  ASSERT_TRUE(assign_channels_last(*lowered).ok());
  EXPECT_EQ(lowered->inputs()[0]->dtype(), DataType::kFloat32);
  EXPECT_EQ(lowered->outputs()[0]->dtype(), DataType::kFloat32);
  int half_values = 0;
  for (const auto& v : lowered->values()) half_values += v->dtype() == DataType::kFloat16;
  EXPECT_GT(half_values, 10);
  const auto difference = output_difference(*lowered, original, b.random_inputs());
  ASSERT_TRUE(difference.ok()) << difference.status().to_string();
  EXPECT_LE(*difference, 1e-2);
}

TEST(PrecisionAssignment, RefusesIntegerStorage) {
  Graph g;
  EXPECT_EQ(assign_precision(g, DataType::kInt8).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::testing
