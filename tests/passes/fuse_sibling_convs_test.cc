#include "passes/pass_test_util.h"

namespace kiln::testing {
namespace {

TEST(FuseSiblingConvs, InceptionOneByOneBranchesMerge) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 4, 6, 6});
  std::vector<Value*> branches;
  for (int i = 0; i < 3; ++i) {
    const std::string p = "b" + std::to_string(i);
    Value* y = b.node("Conv", p + ".conv", {x, b.weights(p + ".w", {2 + i, 4, 1, 1}), i == 1 ? nullptr : b.weights(p + ".b", {2 + i})});
    branches.push_back(b.node("Relu", p + ".relu", {y}));
  }
  // A 3x3 sibling does not share the kernel size; the pool branch is no convolution.
  branches.push_back(b.node("Relu", "b3.relu", {b.node("Conv", "b3.conv", {x, b.weights("b3.w", {2, 4, 3, 3})},
                                                       {{"pads", ints({1, 1, 1, 1})}})}));
  branches.push_back(b.node("MaxPool", "pool", {x}, {{"kernel_shape", ints({3, 3})}, {"pads", ints({1, 1, 1, 1})},
                                                     {"strides", ints({1, 1})}}));
  b.output(b.node("Concat", "concat", branches, {{"axis", Attribute::of_int(1)}}));
  auto o = optimize_and_compare(b, 3);
  EXPECT_EQ(count_ops(*o.graph, "FusedConv"), 2);
  const Node* merged = nullptr;
  for (const auto& n : o.graph->nodes())
    if (n->outputs().size() == 3) merged = n.get();
  ASSERT_NE(merged, nullptr);
  EXPECT_EQ(merged->name(), "b0.conv + b0.relu + b1.conv + b1.relu + b2.conv + b2.relu");
  EXPECT_EQ(merged->attr_ints("output_channels"), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(merged->attr_string("activation"), "Relu");
  EXPECT_EQ(merged->output(1)->name(), "b1.relu.out");
  EXPECT_EQ(merged->input(1)->constant().dims(), (std::vector<int64_t>{9, 4, 1, 1}));
  EXPECT_NE(o.report.to_string().find("merged 3 sibling layers"), std::string::npos) << o.report.to_string();
}

TEST(FuseSiblingConvs, DifferentActivationsStayApart) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 4, 6, 6});
  Value* a = b.node("Relu", "a.relu", {b.node("Conv", "a", {x, b.weights("a.w", {2, 4, 1, 1})})});
  Value* c = b.node("Sigmoid", "c.sig", {b.node("Conv", "c", {x, b.weights("c.w", {2, 4, 1, 1})})});
  b.output(a);
  b.output(c);
  auto o = optimize_and_compare(b, 3);
  EXPECT_EQ(count_ops(*o.graph, "FusedConv"), 2);
}

TEST(FuseSiblingConvs, QueryKeyValueProjectionsMerge) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 5, 8});
  for (const char* p : {"q", "k", "v"}) {
    const std::string s(p);
    b.output(b.node("Add", s + ".bias", {b.node("MatMul", s, {x, b.weights(s + ".w", {8, 6})}), b.weights(s + ".b", {6})}));
  }
  auto o = optimize_and_compare(b, 3);
  ASSERT_EQ(o.graph->nodes().size(), 1u);
  const Node& n = *o.graph->nodes()[0];
  EXPECT_EQ(n.op_type(), "FusedMatMul");
  EXPECT_EQ(n.outputs().size(), 3u);
  EXPECT_EQ(n.input(1)->constant().dims(), (std::vector<int64_t>{8, 18}));
  EXPECT_EQ(n.name(), "q + q.bias + k + k.bias + v + v.bias");
}

}  // namespace
}  // namespace kiln::testing
