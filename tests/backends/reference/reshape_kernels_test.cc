#include "tensor_op_test_util.h"

namespace kiln::testing {
namespace {

TEST(ReshapeKernels, ZeroCopiesDimAndMinusOneTakesTheRest) {
  Tensor x = random_float({2, 3, 4}, 1);
  auto out = run_ok(node_spec("Reshape"), {x, i64({0, -1})});
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{2, 12}));
  EXPECT_EQ(values_of<float>(out[0]), values_of<float>(x));
}

TEST(ReshapeKernels, AllowZeroKeepsZeroAsADim) {
  Tensor x(DataType::kFloat32, {0, 3});
  auto out = run_ok(node_spec("Reshape", {{"allowzero", Attribute::of_int(1)}}), {x, i64({3, 0})});
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{3, 0}));
}

TEST(ReshapeKernels, RejectsBadShapes) {
  Tensor x = random_float({2, 3}, 2);
  EXPECT_EQ(run_code(node_spec("Reshape"), {x, i64({-1, -1})}), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(node_spec("Reshape"), {x, i64({4, 2})}), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(node_spec("Reshape"), {x, i64({5, -1})}), StatusCode::kInvalidArgument);
}

TEST(ReshapeKernels, InferenceWithUnknownShapeValueKnowsTheRank) {
  auto out = infer_only(node_spec("Reshape"), {input_of(DataType::kFloat32, Shape::from_dims({2, 3})),
                                      input_of(DataType::kInt64, Shape::from_dims({3}))});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].second, Shape::unknown_dims(3));
}

TEST(ReshapeKernels, InferenceWithKnownShapeValueKeepsSymbolicDims) {
  Tensor shape = i64({0, -1});
  auto out = infer_only(node_spec("Reshape"), {input_of(DataType::kFloat32, Shape({Dim::symbolic("N"), Dim(3), Dim(4)})),
                                      input_of(DataType::kInt64, Shape::from_dims({2}), &shape)});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].second, Shape({Dim::symbolic("N"), Dim()}));
}

TEST(ReshapeKernels, FlattenSplitsDimsAtAxis) {
  Tensor x = random_float({2, 3, 4, 5}, 3);
  EXPECT_EQ(run_ok(node_spec("Flatten", {{"axis", Attribute::of_int(0)}}), {x})[0].dims(), (std::vector<int64_t>{1, 120}));
  EXPECT_EQ(run_ok(node_spec("Flatten", {{"axis", Attribute::of_int(-1)}}), {x})[0].dims(), (std::vector<int64_t>{24, 5}));
  EXPECT_EQ(run_ok(node_spec("Flatten"), {x})[0].dims(), (std::vector<int64_t>{2, 60}));
  EXPECT_EQ(run_code(node_spec("Flatten", {{"axis", Attribute::of_int(5)}}), {x}), StatusCode::kInvalidArgument);
}

TEST(ReshapeKernels, SqueezeTakesAxesAsAttributeBeforeOpset13AndInputAfter) {
  Tensor x = random_float({1, 3, 1, 2}, 4);
  const NodeSpec old = node_spec("Squeeze", {{"axes", Attribute::of_ints({0, -2})}}, 1, 11);
  EXPECT_EQ(run_ok(old, {x})[0].dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(run_ok(node_spec("Squeeze"), {x, i64({2})})[0].dims(), (std::vector<int64_t>{1, 3, 2}));
  EXPECT_EQ(run_ok(node_spec("Squeeze"), {x})[0].dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(run_code(node_spec("Squeeze"), {x, i64({1})}), StatusCode::kInvalidArgument);
}

TEST(ReshapeKernels, UnsqueezeInsertsAtOutputPositions) {
  Tensor x = random_float({3, 4}, 5);
  auto out = run_ok(node_spec("Unsqueeze"), {x, i64({3, 0})});
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{1, 3, 4, 1}));
  EXPECT_EQ(values_of<float>(out[0]), values_of<float>(x));
  const NodeSpec old = node_spec("Unsqueeze", {{"axes", Attribute::of_ints({-1})}}, 1, 11);
  EXPECT_EQ(run_ok(old, {x})[0].dims(), (std::vector<int64_t>{3, 4, 1}));
  EXPECT_EQ(run_code(node_spec("Unsqueeze"), {x, i64({0, 0})}), StatusCode::kInvalidArgument);
}

TEST(ReshapeKernels, SqueezeInferenceWithUnknownAxesCountsThem) {
  auto out = infer_only(node_spec("Squeeze"), {input_of(DataType::kFloat32, Shape::from_dims({1, 3, 1})),
                                      input_of(DataType::kInt64, Shape::from_dims({2}))});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].second, Shape::unknown_dims(1));
}

}  // namespace
}  // namespace kiln::testing
