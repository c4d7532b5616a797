// Shape inference of the nn family (pool_, norm_, reduce_, softmax_ and loss_schemas.cc) with partly
// unknown shapes and values (build time), where run time always has everything known.
#include <gtest/gtest.h>

#include "core/error.h"
#include "ir/op_schema.h"

namespace kiln {
namespace {

struct InferResult {
  Status status;
  std::vector<std::pair<DataType, Shape>> outputs;
};

InferResult infer(const std::string& op, std::map<std::string, Attribute> attrs, std::vector<InferContext::Input> inputs,
                  int num_outputs = 1, int opset = 17) {
  Graph g;
  Node* n = g.add_node(op, op, "", opset);
  const OpSchema* schema = OpRegistry::global().find(op, "");
  if (schema == nullptr) return {unsupported("no schema for {}", op), {}};
  n->set_schema(schema);
  for (size_t i = 0; i < inputs.size(); ++i)
    n->inputs().push_back(inputs[i].present ? g.get_or_add_value("in" + std::to_string(i)) : nullptr);
  for (int i = 0; i < num_outputs; ++i) n->outputs().push_back(g.get_or_add_value("out" + std::to_string(i)));
  n->attrs() = std::move(attrs);
  Status s = schema->check_and_fill_defaults(*n);
  if (!s.ok()) return {s, {}};
  auto r = infer_node(*n, std::move(inputs));
  if (!r.ok()) return {r.status(), {}};
  return {Status::Ok(), *r};
}

InferContext::Input input(DataType t, Shape s, const Tensor* value = nullptr) {
  InferContext::Input in;
  in.present = true;
  in.dtype = t;
  in.shape = std::move(s);
  in.value = value;
  return in;
}

const Dim N = Dim::symbolic("N");

TEST(NnSchemas, PoolKeepsSymbolicBatchAndComputesSpatialSizes) {
  auto r = infer("MaxPool", {{"kernel_shape", Attribute::of_ints({3, 3})}, {"strides", Attribute::of_ints({2, 2})},
                             {"pads", Attribute::of_ints({1, 1, 1, 1})}},
                 {input(DataType::kFloat32, Shape({N, Dim(64), Dim(112), Dim()}))}, 2);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].second.to_string(), "[N, 64, 56, ?]");
  EXPECT_EQ(r.outputs[1].first, DataType::kInt64);
  auto unknown = infer("AveragePool", {{"kernel_shape", Attribute::of_ints({2})}}, {input(DataType::kFloat32, Shape::unknown())});
  ASSERT_TRUE(unknown.status.ok());
  EXPECT_EQ(unknown.outputs[0].second.to_string(), "[?, ?, ?]");
  auto global = infer("GlobalAveragePool", {}, {input(DataType::kFloat16, Shape({N, Dim(8), Dim(), Dim()}))});
  ASSERT_TRUE(global.status.ok());
  EXPECT_EQ(global.outputs[0].second.to_string(), "[N, 8, 1, 1]");
  EXPECT_FALSE(infer("MaxPool", {{"kernel_shape", Attribute::of_ints({3, 3})}, {"bogus", Attribute::of_int(1)}},
                     {input(DataType::kFloat32, Shape::unknown())})
                   .status.ok());
}

TEST(NnSchemas, ReduceWithUnknownAxesInput) {
  const Shape x({N, Dim(3), Dim(4)});
  auto keep = infer("ReduceSum", {}, {input(DataType::kFloat32, x), input(DataType::kInt64, Shape({Dim(1)}))});
  ASSERT_TRUE(keep.status.ok()) << keep.status.to_string();
  EXPECT_EQ(keep.outputs[0].second.to_string(), "[?, ?, ?]");
  auto drop = infer("ReduceSum", {{"keepdims", Attribute::of_int(0)}},
                    {input(DataType::kFloat32, x), input(DataType::kInt64, Shape({Dim(1)}))});
  ASSERT_TRUE(drop.status.ok());
  EXPECT_FALSE(drop.outputs[0].second.rank_known());
  Tensor axes(DataType::kInt64, {1});
  axes.data<int64_t>()[0] = -1;
  auto known = infer("ReduceSum", {{"keepdims", Attribute::of_int(0)}},
                     {input(DataType::kFloat32, x), input(DataType::kInt64, Shape({Dim(1)}), &axes)});
  ASSERT_TRUE(known.status.ok());
  EXPECT_EQ(known.outputs[0].second.to_string(), "[N, 3]");
  auto mean = infer("ReduceMean", {{"axes", Attribute::of_ints({1})}}, {input(DataType::kFloat32, x)});
  ASSERT_TRUE(mean.status.ok());
  EXPECT_EQ(mean.outputs[0].second.to_string(), "[N, 1, 4]");
}

TEST(NnSchemas, NormalizationOutputs) {
  const Shape x({N, Dim(197), Dim(768)});
  auto ln = infer("LayerNormalization", {}, {input(DataType::kFloat16, x), input(DataType::kFloat16, Shape({Dim(768)}))}, 3);
  ASSERT_TRUE(ln.status.ok()) << ln.status.to_string();
  EXPECT_EQ(ln.outputs[0].first, DataType::kFloat16);
  EXPECT_EQ(ln.outputs[1].first, DataType::kFloat32);  // stash_type 1
  EXPECT_EQ(ln.outputs[2].second.to_string(), "[N, 197, 1]");
  const Shape c({Dim(16)});
  auto bn = infer("BatchNormalization", {},
                  {input(DataType::kFloat32, Shape({N, Dim(16), Dim(), Dim()})), input(DataType::kFloat32, c),
                   input(DataType::kFloat32, c), input(DataType::kFloat32, c), input(DataType::kFloat32, c)});
  ASSERT_TRUE(bn.status.ok());
  EXPECT_EQ(bn.outputs[0].second.to_string(), "[N, 16, ?, ?]");
  auto bad = infer("BatchNormalization", {},
                   {input(DataType::kFloat32, Shape({N, Dim(8), Dim(), Dim()})), input(DataType::kFloat32, c),
                    input(DataType::kFloat32, c), input(DataType::kFloat32, c), input(DataType::kFloat32, c)});
  EXPECT_FALSE(bad.status.ok());
}

TEST(NnSchemas, SoftmaxAndLossShapes) {
  auto sm = infer("Softmax", {{"axis", Attribute::of_int(-1)}}, {input(DataType::kFloat32, Shape({N, Dim()}))});
  ASSERT_TRUE(sm.status.ok());
  EXPECT_EQ(sm.outputs[0].second.to_string(), "[N, ?]");
  auto none = infer("SoftmaxCrossEntropyLoss", {{"reduction", Attribute::of_string("none")}},
                    {input(DataType::kFloat32, Shape({N, Dim(10), Dim(7)})), input(DataType::kInt64, Shape::unknown())}, 2);
  ASSERT_TRUE(none.status.ok()) << none.status.to_string();
  EXPECT_EQ(none.outputs[0].second.to_string(), "[N, 7]");
  EXPECT_EQ(none.outputs[1].second.to_string(), "[N, 10, 7]");
  auto mean = infer("NegativeLogLikelihoodLoss", {}, {input(DataType::kFloat32, Shape({N, Dim(10)})), input(DataType::kInt64, Shape({N}))});
  ASSERT_TRUE(mean.status.ok());
  EXPECT_EQ(mean.outputs[0].second.rank(), 0);
}

}  // namespace
}  // namespace kiln
