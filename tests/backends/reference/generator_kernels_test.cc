#include "tensor_op_test_util.h"

namespace kiln::testing {
namespace {

TEST(GeneratorKernels, ConstantOfShapeFillsWithTheValueAndItsType) {
  const NodeSpec spec = node_spec("ConstantOfShape", {{"value", Attribute::of_tensor(make_tensor<int32_t>(DataType::kInt32, {1}, {7}))}});
  Tensor y = run_ok(spec, {i64({2, 3})})[0];
  EXPECT_EQ(y.dtype(), DataType::kInt32);
  EXPECT_EQ(values_of<int32_t>(y), std::vector<int32_t>(6, 7));
  Tensor z = run_ok(node_spec("ConstantOfShape"), {i64({0})})[0];
  EXPECT_EQ(z.dtype(), DataType::kFloat32);
  EXPECT_EQ(z.numel(), 0);
  EXPECT_EQ(run_code(node_spec("ConstantOfShape"), {i64({-1})}), StatusCode::kInvalidArgument);
}

TEST(GeneratorKernels, RangeCountsByCeilingAndSupportsNegativeDelta) {
  auto scalar = [](int32_t v) { return make_tensor<int32_t>(DataType::kInt32, {}, {v}); };
  Tensor y = run_ok(node_spec("Range"), {scalar(10), scalar(3), scalar(-3)})[0];
  EXPECT_EQ(values_of<int32_t>(y), (std::vector<int32_t>{10, 7, 4}));
  Tensor f = run_ok(node_spec("Range"), {f32({0.5f}, {}), f32({2.f}, {}), f32({0.4f}, {})})[0];
  ASSERT_EQ(f.numel(), 4);
  EXPECT_FLOAT_EQ(f.data<float>()[3], 0.5f + 3 * 0.4f);
  EXPECT_EQ(run_ok(node_spec("Range"), {scalar(0), scalar(5), scalar(-1)})[0].numel(), 0);
  EXPECT_EQ(run_code(node_spec("Range"), {scalar(0), scalar(5), scalar(0)}), StatusCode::kInvalidArgument);
}

TEST(GeneratorKernels, EyeLikeShiftsTheDiagonalAndTakesDtype) {
  const NodeSpec spec = node_spec("EyeLike", {{"k", Attribute::of_int(1)}, {"dtype", Attribute::of_int(7)}});
  Tensor y = run_ok(spec, {random_float({3, 4}, 71)})[0];
  EXPECT_EQ(y.dtype(), DataType::kInt64);
  EXPECT_EQ(values_of<int64_t>(y), (std::vector<int64_t>{0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}));
  EXPECT_EQ(run_code(node_spec("EyeLike"), {random_float({3}, 72)}), StatusCode::kInvalidArgument);
}

TEST(GeneratorKernels, OneHotHandlesAxisNegativeAndOutOfRangeIndices) {
  Tensor indices = i64({1, -1, 5});
  Tensor values = f32({-2.f, 3.f}, {2});
  Tensor depth = i64({3}, {});
  Tensor y = run_ok(node_spec("OneHot"), {indices, depth, values})[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(values_of<float>(y), (std::vector<float>{-2, 3, -2, -2, -2, 3, -2, -2, -2}));
  Tensor t = run_ok(node_spec("OneHot", {{"axis", Attribute::of_int(0)}}), {indices, depth, values})[0];
  EXPECT_EQ(values_of<float>(t), (std::vector<float>{-2, -2, -2, 3, -2, -2, -2, 3, -2}));
  EXPECT_EQ(run_code(node_spec("OneHot"), {indices, i64({0}, {}), values}), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::testing
