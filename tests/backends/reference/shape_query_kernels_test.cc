#include "tensor_op_test_util.h"

namespace kiln::testing {
namespace {

TEST(ShapeQueryKernels, ShapeReportsClampedRangeOfDims) {
  Tensor x(DataType::kFloat32, {2, 3, 4, 5});
  EXPECT_EQ(values_of<int64_t>(run_ok(node_spec("Shape"), {x})[0]), (std::vector<int64_t>{2, 3, 4, 5}));
  const NodeSpec sliced = node_spec("Shape", {{"start", Attribute::of_int(-3)}, {"end", Attribute::of_int(-1)}});
  EXPECT_EQ(values_of<int64_t>(run_ok(sliced, {x})[0]), (std::vector<int64_t>{3, 4}));
  const NodeSpec clamped = node_spec("Shape", {{"start", Attribute::of_int(-10)}, {"end", Attribute::of_int(10)}});
  EXPECT_EQ(run_ok(clamped, {x})[0].numel(), 4);
  const NodeSpec empty = node_spec("Shape", {{"start", Attribute::of_int(3)}, {"end", Attribute::of_int(1)}});
  EXPECT_EQ(run_ok(empty, {x})[0].numel(), 0);
}

TEST(ShapeQueryKernels, SizeIsTheElementCount) {
  Tensor y = run_ok(node_spec("Size"), {Tensor(DataType::kInt8, {2, 3, 4})})[0];
  EXPECT_EQ(y.rank(), 0);
  EXPECT_EQ(y.data<int64_t>()[0], 24);
}

}  // namespace
}  // namespace kiln::testing
