// Inference of the elementwise schemas on what a build sees: unknown and symbolic dims, unknown
// ranks, no values.
#include <gtest/gtest.h>

#include "ir/op_schema.h"

namespace kiln {
namespace {

struct Inferred {
  Status status;
  DataType dtype = DataType::kUndefined;
  Shape shape;
};

Inferred infer(const std::string& op, std::vector<std::pair<DataType, Shape>> inputs,
               std::map<std::string, Attribute> attrs = {}, int opset = 17) {
  Graph g;
  Node* n = g.add_node("n", op, "", opset);
  const OpSchema* schema = OpRegistry::global().find(op, "");
  EXPECT_NE(schema, nullptr) << op;
  n->set_schema(schema);
  std::vector<InferContext::Input> in;
  for (size_t i = 0; i < inputs.size(); ++i) {
    n->inputs().push_back(g.get_or_add_value("in" + std::to_string(i)));
    in.push_back({true, inputs[i].first, inputs[i].second, nullptr});
  }
  n->outputs().push_back(g.get_or_add_value("out"));
  n->attrs() = std::move(attrs);
  Inferred r;
  r.status = schema->check_and_fill_defaults(*n);
  if (!r.status.ok()) return r;
  auto out = infer_node(*n, std::move(in));
  if (!out.ok()) {
    r.status = out.status();
    return r;
  }
  r.dtype = (*out)[0].first;
  r.shape = (*out)[0].second;
  return r;
}

const Shape kBatchBy3({Dim::symbolic("N"), Dim(3)});

TEST(ElementwiseSchemas, UnaryKeepsSymbolicAndUnknownShapes) {
  Inferred r = infer("Tanh", {{DataType::kFloat16, kBatchBy3}});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.dtype, DataType::kFloat16);
  EXPECT_EQ(r.shape, kBatchBy3);
  r = infer("IsNaN", {{DataType::kFloat32, Shape::unknown()}});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.dtype, DataType::kBool);
  EXPECT_FALSE(r.shape.rank_known());
}

TEST(ElementwiseSchemas, BroadcastOfSymbolicDims) {
  Inferred r = infer("Add", {{DataType::kFloat32, kBatchBy3}, {DataType::kFloat32, Shape::from_dims({3})}});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.shape, kBatchBy3);
  r = infer("Less", {{DataType::kInt64, Shape({Dim(2), Dim(), Dim(1)})}, {DataType::kInt64, Shape::from_dims({4})}});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.dtype, DataType::kBool);
  EXPECT_EQ(r.shape, Shape({Dim(2), Dim(), Dim(4)}));
  r = infer("Max", {{DataType::kInt32, Shape::from_dims({2, 1})}, {DataType::kInt32, Shape::unknown()},
                    {DataType::kInt32, Shape::from_dims({5})}});
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(r.shape.rank_known());
  r = infer("Mul", {{DataType::kFloat32, Shape::from_dims({2, 3})}, {DataType::kFloat32, Shape::from_dims({4, 3})}});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
}

TEST(ElementwiseSchemas, OutputTypesFollowTheirRules) {
  Inferred r = infer("Pow", {{DataType::kInt32, kBatchBy3}, {DataType::kFloat32, Shape::from_dims({1})}});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.dtype, DataType::kInt32);
  r = infer("Cast", {{DataType::kFloat32, kBatchBy3}}, {{"to", Attribute::of_int(16)}});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.dtype, DataType::kBFloat16);
  EXPECT_EQ(r.shape, kBatchBy3);
  r = infer("CastLike", {{DataType::kFloat64, kBatchBy3}, {DataType::kUInt8, Shape::from_dims({})}});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.dtype, DataType::kUInt8);
  r = infer("Where", {{DataType::kBool, Shape::from_dims({2, 1})}, {DataType::kInt8, kBatchBy3},
                      {DataType::kInt8, Shape::from_dims({1})}});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.dtype, DataType::kInt8);
  EXPECT_EQ(r.shape, Shape({Dim(2), Dim(3)}));
}

TEST(ElementwiseSchemas, ClipBoundsByOpset) {
  const std::pair<DataType, Shape> x{DataType::kFloat32, kBatchBy3};
  const std::pair<DataType, Shape> scalar{DataType::kFloat32, Shape::from_dims({})};
  EXPECT_TRUE(infer("Clip", {x, scalar, scalar}, {}, 13).status.ok());
  EXPECT_TRUE(infer("Clip", {x}, {{"min", Attribute::of_float(0.f)}}, 6).status.ok());
  EXPECT_FALSE(infer("Clip", {x, scalar}, {}, 10).status.ok());
  EXPECT_FALSE(infer("Clip", {x, {DataType::kFloat32, Shape::from_dims({2})}}, {}, 13).status.ok());
  // Integers are Clip types only since opset 12.
  EXPECT_FALSE(infer("Clip", {{DataType::kInt32, kBatchBy3}}, {}, 6).status.ok());
}

TEST(ElementwiseSchemas, AttributesAreDeclaredWithOnnxDefaults) {
  const OpSchema* selu = OpRegistry::global().find("Selu", "");
  ASSERT_NE(selu, nullptr);
  ASSERT_NE(selu->find_attr("gamma"), nullptr);
  EXPECT_FLOAT_EQ(selu->find_attr("gamma")->default_value->f, 1.0507010221481323f);
  const OpSchema* leaky = OpRegistry::global().find("LeakyRelu", "");
  EXPECT_FLOAT_EQ(leaky->find_attr("alpha")->default_value->f, 0.01f);
  EXPECT_EQ(OpRegistry::global().find("Mod", "")->find_attr("fmod")->default_value->i, 0);
  EXPECT_TRUE(OpRegistry::global().find("Cast", "")->find_attr("to")->required);
}

}  // namespace
}  // namespace kiln
