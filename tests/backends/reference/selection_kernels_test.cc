#include "tensor_op_test_util.h"

namespace kiln::testing {
namespace {

TEST(SelectionKernels, NonZeroListsCoordinatesPerAxis) {
  Tensor x = make_tensor<int32_t>(DataType::kInt32, {2, 3}, {0, 5, 0, -1, 0, 2});
  Tensor y = run_ok(node_spec("NonZero"), {x})[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values_of<int64_t>(y), (std::vector<int64_t>{0, 1, 1, 1, 0, 2}));
}

TEST(SelectionKernels, CompressWithAndWithoutAxis) {
  Tensor x = random_float({3, 2}, 91);
  Tensor cond = make_tensor<bool>(DataType::kBool, {2}, {false, true});
  Tensor rows = run_ok(node_spec("Compress", {{"axis", Attribute::of_int(0)}}), {x, cond})[0];
  EXPECT_EQ(values_of<float>(rows), (std::vector<float>{x.data<float>()[2], x.data<float>()[3]}));
  Tensor flat = run_ok(node_spec("Compress"), {x, cond})[0];
  EXPECT_EQ(values_of<float>(flat), (std::vector<float>{x.data<float>()[1]}));
  Tensor too_long = make_tensor<bool>(DataType::kBool, {4}, {false, false, false, true});
  EXPECT_EQ(run_code(node_spec("Compress", {{"axis", Attribute::of_int(0)}}), {x, too_long}), StatusCode::kOutOfRange);
}

TEST(SelectionKernels, UniqueSortedAndInFirstOccurrenceOrder) {
  Tensor x = f32({3, 1, 3, 2, 1}, {5});
  auto sorted = run_ok(node_spec("Unique", {}, 4), {x});
  EXPECT_EQ(values_of<float>(sorted[0]), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(values_of<int64_t>(sorted[1]), (std::vector<int64_t>{1, 3, 0}));
  EXPECT_EQ(values_of<int64_t>(sorted[2]), (std::vector<int64_t>{2, 0, 2, 1, 0}));
  EXPECT_EQ(values_of<int64_t>(sorted[3]), (std::vector<int64_t>{2, 1, 2}));
  auto unsorted = run_ok(node_spec("Unique", {{"sorted", Attribute::of_int(0)}}, 4), {x});
  EXPECT_EQ(values_of<float>(unsorted[0]), (std::vector<float>{3, 1, 2}));
  EXPECT_EQ(values_of<int64_t>(unsorted[2]), (std::vector<int64_t>{0, 1, 0, 2, 1}));
}

TEST(SelectionKernels, UniqueAlongAnAxisComparesWholeSlices) {
  Tensor x = f32({1, 0, 1, 2, 0, 2}, {2, 3});  // columns: (1,2), (0,0), (1,2)
  auto out = run_ok(node_spec("Unique", {{"axis", Attribute::of_int(1)}}, 4), {x});
  ASSERT_EQ(out[0].dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(values_of<float>(out[0]), (std::vector<float>{0, 1, 0, 2}));
  EXPECT_EQ(values_of<int64_t>(out[3]), (std::vector<int64_t>{1, 2}));
}

TEST(SelectionKernels, InferenceFixesRanksAndLeavesCountsUnknown) {
  auto nz = infer_only(node_spec("NonZero"), {input_of(DataType::kFloat32, Shape::from_dims({2, 3, 4}))});
  ASSERT_TRUE(nz.ok());
  EXPECT_EQ((*nz)[0].second, Shape({Dim(3), Dim()}));
  auto u = infer_only(node_spec("Unique", {{"axis", Attribute::of_int(0)}}, 4), {input_of(DataType::kFloat32, Shape::from_dims({5, 2}))});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ((*u)[0].second, Shape({Dim(), Dim(2)}));
  EXPECT_EQ((*u)[2].second, Shape({Dim(5)}));
}

}  // namespace
}  // namespace kiln::testing
