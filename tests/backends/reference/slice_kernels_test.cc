#include "tensor_op_test_util.h"

namespace kiln::testing {
namespace {

TEST(SliceKernels, NegativeStepsWalkBackwards) {
  Tensor x = random_float({5, 6}, 31);
  // Rows 4, 2 (from the end, step -2, stopping before 0); columns 1..4 by 2.
  Tensor y = run_ok(node_spec("Slice"), {x, i64({-1, 1}), i64({0, 5}), i64({0, 1}), i64({-2, 2})})[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{2, 2}));
  const int rows[] = {4, 2}, cols[] = {1, 3};
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) EXPECT_EQ(y.data<float>()[i * 2 + j], x.data<float>()[rows[i] * 6 + cols[j]]);
}

TEST(SliceKernels, OutOfRangeStartsAndEndsAreClamped) {
  Tensor x = random_float({4}, 32);
  Tensor all = run_ok(node_spec("Slice"), {x, i64({-100}), i64({INT64_MAX})})[0];
  EXPECT_EQ(values_of<float>(all), values_of<float>(x));
  Tensor reversed = run_ok(node_spec("Slice"), {x, i64({100}), i64({INT64_MIN}), i64({0}), i64({-1})})[0];
  ASSERT_EQ(reversed.numel(), 4);
  EXPECT_EQ(reversed.data<float>()[0], x.data<float>()[3]);
  EXPECT_EQ(run_ok(node_spec("Slice"), {x, i64({10}), i64({20})})[0].numel(), 0);
}

TEST(SliceKernels, BeforeOpset10TakesAttributes) {
  Tensor x = random_float({3, 4}, 33);
  const NodeSpec old = node_spec("Slice", {{"starts", Attribute::of_ints({1})}, {"ends", Attribute::of_ints({3})}, {"axes", Attribute::of_ints({1})}}, 1, 9);
  Tensor y = run_ok(old, {x})[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(y.data<float>()[5], x.data<float>()[2 * 4 + 2]);
}

TEST(SliceKernels, RejectsZeroStepAndRepeatedAxes) {
  Tensor x = random_float({3, 4}, 34);
  EXPECT_EQ(run_code(node_spec("Slice"), {x, i64({0}), i64({2}), i64({0}), i64({0})}), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(node_spec("Slice"), {x, i64({0, 0}), i64({1, 1}), i64({1, -1})}), StatusCode::kInvalidArgument);
}

TEST(SliceKernels, InferenceWithUnknownStartsKeepsRankAndKnownStartsGiveExactDims) {
  const Shape in({Dim::symbolic("N"), Dim(10)});
  auto unknown = infer_only(node_spec("Slice"), {input_of(DataType::kFloat32, in), input_of(DataType::kInt64, Shape::from_dims({1})),
                                        input_of(DataType::kInt64, Shape::from_dims({1}))});
  ASSERT_TRUE(unknown.ok()) << unknown.status().to_string();
  EXPECT_EQ((*unknown)[0].second, Shape::unknown_dims(2));
  Tensor starts = i64({-8}), ends = i64({100}), axes = i64({1});
  auto known = infer_only(node_spec("Slice"), {input_of(DataType::kFloat32, in), input_of(DataType::kInt64, Shape::from_dims({1}), &starts),
                                      input_of(DataType::kInt64, Shape::from_dims({1}), &ends),
                                      input_of(DataType::kInt64, Shape::from_dims({1}), &axes)});
  ASSERT_TRUE(known.ok()) << known.status().to_string();
  EXPECT_EQ((*known)[0].second, Shape({Dim::symbolic("N"), Dim(8)}));
}

}  // namespace
}  // namespace kiln::testing
