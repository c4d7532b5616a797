#include "quantization/insert_qdq.h"

#include <gtest/gtest.h>

#include <set>

#include "passes/pass_test_util.h"

namespace kiln {
namespace {

using testing::GraphBuilder;
using testing::ints;

// conv1 -> relu -> conv2 (+ residual relu, fused by the optimizer), then a MatMul with
// constant weights and one of two activations (not quantized: its B is no weight).
struct Model {
  GraphBuilder b;
  std::unique_ptr<Graph> optimized;

  Model() {
    Value* x = b.input("x", {2, 4, 6, 6});
    Value* c1 = b.node("Conv", "conv1", {x, b.weights("w1", {4, 4, 3, 3}), b.weights("b1", {4})}, {{"pads", ints({1, 1, 1, 1})}});
    Value* r1 = b.node("Relu", "relu1", {c1});
    Value* c2 = b.node("Conv", "conv2", {r1, b.weights("w2", {4, 4, 3, 3})}, {{"pads", ints({1, 1, 1, 1})}});
    Value* r2 = b.node("Relu", "relu2", {b.node("Add", "add", {c2, r1})});
    Value* flat = b.node("Reshape", "flat", {r2, b.constant("shape", testing::make_tensor<int64_t>(DataType::kInt64, {2}, {2, 144}))});
    Value* m = b.node("MatMul", "fc", {flat, b.weights("wfc", {144, 8})});
    Value* t = b.node("Transpose", "t", {m});
    b.output(b.node("MatMul", "gram", {m, t}));
    b.output(r1);
    PassOptions options;
    optimized = b.graph().clone();
    EXPECT_TRUE(optimize_graph(*optimized, options).ok());
  }
};

std::set<std::string> names(const std::vector<const Value*>& values) {
  std::set<std::string> out;
  for (const Value* v : values) out.insert(v->name());
  return out;
}

TEST(InsertQdq, QuantizesActivationAndResidualInputsOfWeightedLayers) {
  Model m;
  const Graph& g = *m.optimized;
  ASSERT_EQ(testing::count_ops(g, "FusedConv"), 2) << dump_graph(g);
  // conv1 reads x; conv2 reads relu1's output as X and as residual Z (one tensor, once); fc
  // reads the flattened activation. The Gram MatMul has no constant weights.
  const Node* fc = nullptr;
  for (const auto& n : g.nodes())
    if (n->name() == "fc") fc = n.get();
  ASSERT_NE(fc, nullptr) << dump_graph(g);
  EXPECT_EQ(names(quantized_activations(g)), (std::set<std::string>{"x", "relu1.out", fc->input(0)->name()}));
}

// Sizes the INT8 tensor-core kernels do not take stay float: a stride-1 RGB convolution (3 input
// channels, no space-to-depth stem) and a classifier with 10 outputs.
TEST(InsertQdq, LeavesLayersWithoutMultipleOfFourSizesInFloat) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 3, 8, 8});
  Value* stem = b.node("Conv", "stem", {x, b.weights("w", {8, 3, 3, 3})});
  Value* flat = b.node("Flatten", "flat", {stem});
  Value* fc8 = b.node("MatMul", "fc8", {flat, b.weights("w8", {288, 8})});
  b.output(b.node("MatMul", "fc10", {fc8, b.weights("w10", {8, 10})}));
  EXPECT_EQ(names(quantized_activations(b.graph())), (std::set<std::string>{flat->name()}));
}

// An RGB stem of stride 2 with a multiple of 16 output channels is INT8's exception: the CUDA
// backend runs it on the int8 implicit GEMM over space-to-depth blocks. FP8 leaves it in float;
// so does INT8 at stride 1, with dilation, or with K not a multiple of 16.
TEST(InsertQdq, Int8QuantizesASpaceToDepthStem) {
  struct Stem {
    std::string name;
    std::vector<int64_t> w;
    int64_t stride, dilation;
    bool int8;
  };
  const std::vector<Stem> stems = {{"resnet_stem", {16, 3, 7, 7}, 2, 1, true},
                                   {"grayscale_k32", {32, 1, 3, 3}, 2, 1, true},
                                   {"stride1", {16, 3, 7, 7}, 1, 1, false},
                                   {"k24", {24, 3, 7, 7}, 2, 1, false},
                                   {"dilated", {16, 3, 3, 3}, 2, 2, false}};
  for (const Stem& s : stems) {
    GraphBuilder b;
    Value* x = b.input("x", {1, s.w[1], 16, 16});
    const int64_t pad = s.w[2] / 2;
    b.output(b.node("Conv", s.name, {x, b.weights("w", s.w)},
                    {{"strides", ints({s.stride, s.stride})},
                     {"dilations", ints({s.dilation, s.dilation})},
                     {"pads", ints({pad, pad, pad, pad})}}));
    const std::set<std::string> expected = s.int8 ? std::set<std::string>{"x"} : std::set<std::string>{};
    EXPECT_EQ(names(quantized_activations(b.graph())), expected) << s.name;
    EXPECT_TRUE(quantized_activations(b.graph(), DataType::kFloat8E4M3).empty()) << s.name;
  }
}

TEST(InsertQdq, PairsFeedOnlyTheQuantizedSlots) {
  Model m;
  Graph& g = *m.optimized;
  std::vector<std::pair<const Value*, float>> scales;
  float scale = 0.01f;
  for (const Value* v : quantized_activations(g)) scales.emplace_back(v, scale *= 2);
  std::map<std::string, float> wanted;
  for (const auto& [v, s] : scales) wanted[v->name()] = s;
  const std::vector<Tensor> inputs = m.b.random_inputs();
  auto reference = run_reference(g, inputs);
  ASSERT_TRUE(reference.ok());

  auto pairs = insert_qdq(g, scales);
  ASSERT_TRUE(pairs.ok()) << pairs.status().to_string();
  EXPECT_EQ(*pairs, 3);
  EXPECT_EQ(testing::count_ops(g, "QuantizeLinear"), 3);
  EXPECT_EQ(testing::count_ops(g, "DequantizeLinear"), 3);
  for (const auto& n : g.nodes()) {
    if (n->op_type() == "DequantizeLinear") {
      const Node* q = n->input(0)->producer();
      ASSERT_NE(q, nullptr);
      EXPECT_EQ(q->op_type(), "QuantizeLinear");
      EXPECT_EQ(n->input(0)->dtype(), DataType::kInt8);
      EXPECT_EQ(q->input(2)->constant().dtype(), DataType::kInt8);
      EXPECT_EQ(q->input(2)->constant().data<int8_t>()[0], 0);
      EXPECT_EQ(q->input(1)->constant().data<float>()[0], wanted.at(q->input(0)->name()));
      EXPECT_EQ(n->input(1), q->input(1));
    }
    // Every slot the contract quantizes reads a DequantizeLinear, and nothing else does.
    for (size_t i = 0; i < n->inputs().size(); ++i) {
      const Value* in = n->input(static_cast<int>(i));
      const bool from_dq = in && in->producer() && in->producer()->op_type() == "DequantizeLinear";
      const bool layer = n->op_type() == "FusedConv" || n->name() == "fc";
      const bool quantized_slot = layer && (i == 0 || (i == 3 && n->op_type() == "FusedConv"));
      EXPECT_EQ(from_dq, quantized_slot && in != nullptr) << n->describe() << " input " << i;
    }
  }
  // relu1's output stays a float graph output; the graph runs, now fake-quantized.
  EXPECT_EQ(g.outputs()[1]->name(), "relu1.out");
  EXPECT_EQ(g.outputs()[1]->producer()->op_type(), "FusedConv");
  auto quantized = run_reference(g, inputs);
  ASSERT_TRUE(quantized.ok()) << quantized.status().to_string();
  EXPECT_GT(testing::max_relative_error(*quantized, *reference), 0.0);
}

TEST(InsertQdq, RefusesTensorsNotQuantized) {
  Model m;
  Graph& g = *m.optimized;
  const Value* output = g.outputs()[0];
  EXPECT_FALSE(insert_qdq(g, {{output, 0.1f}}).ok());
  EXPECT_FALSE(insert_qdq(g, {{g.inputs()[0], 0.f}}).ok());
}

// FP8: sizes must be multiples of 16 (the FP8 tensor-core kernels'), the residual stays float
// (FP8 layers have float outputs), and the pairs are float8e4m3 with a float8e4m3 zero.
TEST(InsertQdq, Fp8PairsTakeMultipleOfSixteenLayersAndNoResidual) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 16, 6, 6});
  Value* c1 = b.node("Conv", "conv1", {x, b.weights("w1", {16, 16, 3, 3})}, {{"pads", ints({1, 1, 1, 1})}});
  Value* r1 = b.node("Relu", "relu1", {c1});
  Value* c2 = b.node("Conv", "conv2", {r1, b.weights("w2", {16, 16, 3, 3})}, {{"pads", ints({1, 1, 1, 1})}});
  Value* r2 = b.node("Relu", "relu2", {b.node("Add", "add", {c2, r1})});
  Value* narrow = b.node("Conv", "narrow", {r2, b.weights("w3", {8, 16, 1, 1})});  // 8 outputs: stays float
  b.output(narrow);
  std::unique_ptr<Graph> g = b.graph().clone();
  ASSERT_TRUE(optimize_graph(*g, PassOptions{}).ok());
  const DataType fp8 = DataType::kFloat8E4M3;
  EXPECT_EQ(names(quantized_activations(*g, fp8)), (std::set<std::string>{"x", "relu1.out"}));
  EXPECT_EQ(names(quantized_activations(*g)), (std::set<std::string>{"x", "relu1.out", "relu2.out"}));
  std::vector<std::pair<const Value*, float>> scales;
  for (const Value* v : quantized_activations(*g, fp8)) scales.emplace_back(v, 0.01f);
  auto pairs = insert_qdq(*g, scales, fp8);
  ASSERT_TRUE(pairs.ok()) << pairs.status().to_string();
  EXPECT_EQ(*pairs, 2);
  for (const auto& n : g->nodes()) {
    if (n->op_type() == "QuantizeLinear") {
      EXPECT_EQ(n->output(0)->dtype(), fp8);
      EXPECT_EQ(n->input(2)->constant().dtype(), fp8);
    }
    if (n->op_type() == "FusedConv" && n->input(3) != nullptr) {
      EXPECT_EQ(n->input(3)->name(), "relu1.out") << "the residual stays float";
    }
  }
}


// ResNet's tail: a conv whose output only a GlobalAveragePool reads, then the classifier.
struct PoolTail {
  GraphBuilder b;
  std::unique_ptr<Graph> optimized;

  // `stem_channels` 3 makes the conv one INT8 leaves float (no multiple of 4); `also_output`
  // gives the conv's output a second reader.
  explicit PoolTail(int64_t stem_channels = 4, bool also_output = false) {
    Value* x = b.input("x", {2, stem_channels, 6, 6});
    Value* c = b.node("Conv", "conv", {x, b.weights("w", {8, stem_channels, 3, 3}), b.weights("b", {8})}, {{"pads", ints({1, 1, 1, 1})}});
    Value* r = b.node("Relu", "relu", {c});
    Value* flat = b.node("Flatten", "flatten", {b.node("GlobalAveragePool", "pool", {r})});
    b.output(b.node("MatMul", "fc", {flat, b.weights("wfc", {8, 4})}));
    if (also_output) b.output(r);
    optimized = b.graph().clone();
    EXPECT_TRUE(optimize_graph(*optimized, PassOptions{}).ok());
  }
};

TEST(InsertQdq, Int8QuantizesAGlobalPoolInputAfterAQuantizedConv) {
  PoolTail t;
  Graph& g = *t.optimized;
  ASSERT_EQ(testing::count_ops(g, "FusedConv"), 1) << dump_graph(g);
  EXPECT_EQ(names(quantized_activations(g)), (std::set<std::string>{"x", "relu.out", "flatten.out"}));
  EXPECT_TRUE(quantized_for_pool(g, g.find_value("relu.out")));
  EXPECT_FALSE(quantized_for_pool(g, g.find_value("x")));
  EXPECT_FALSE(quantized_for_pool(g, g.find_value("relu.out"), DataType::kFloat8E4M3));
  EXPECT_EQ(names(quantized_activations(g, DataType::kFloat8E4M3)), (std::set<std::string>{}));

  const std::vector<Tensor> inputs = t.b.random_inputs();
  auto reference = run_reference(g, inputs);
  ASSERT_TRUE(reference.ok());
  std::vector<std::pair<const Value*, float>> scales;
  for (const Value* v : quantized_activations(g)) scales.emplace_back(v, 0.06f);  // covers the values (about +-6)
  auto pairs = insert_qdq(g, scales);
  ASSERT_TRUE(pairs.ok()) << pairs.status().to_string();
  EXPECT_EQ(*pairs, 3);
  const Node* pool = testing::find_op(g, "GlobalAveragePool");
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->input(0)->producer()->op_type(), "DequantizeLinear");

  // The pipeline then makes the conv write int8 and the pool read it.
  ASSERT_TRUE(optimize_graph(g, PassOptions{}).ok());
  EXPECT_EQ(testing::count_ops(g, "QConv"), 1) << dump_graph(g);
  EXPECT_EQ(testing::count_ops(g, "QGlobalAveragePool"), 1) << dump_graph(g);
  EXPECT_EQ(testing::find_op(g, "QConv")->output(0)->dtype(), DataType::kInt8);
  auto quantized = run_reference(g, inputs);
  ASSERT_TRUE(quantized.ok()) << quantized.status().to_string();
  EXPECT_LT(testing::max_relative_error(*quantized, *reference), 0.1);
}

// The pool's input stays float when the conv before it does: the conv could not write int8.
TEST(InsertQdq, LeavesAGlobalPoolInputAfterAFloatLayerInFloat) {
  {
    PoolTail t(/*stem_channels=*/3);
    EXPECT_EQ(names(quantized_activations(*t.optimized)), (std::set<std::string>{"flatten.out"}));
  }
  {
    PoolTail t(4, /*also_output=*/true);
    EXPECT_EQ(names(quantized_activations(*t.optimized)), (std::set<std::string>{"x", "flatten.out"}));
  }
  {
    // Scales for the pool's input but not for the conv's: the pool's pair is left out.
    PoolTail t;
    Graph& g = *t.optimized;
    auto pairs = insert_qdq(g, {{g.find_value("relu.out"), 0.1f}, {g.find_value("flatten.out"), 0.1f}});
    ASSERT_TRUE(pairs.ok()) << pairs.status().to_string();
    EXPECT_EQ(*pairs, 1);
    EXPECT_EQ(testing::find_op(g, "GlobalAveragePool")->input(0)->name(), "relu.out");
  }
}

}  // namespace
}  // namespace kiln
