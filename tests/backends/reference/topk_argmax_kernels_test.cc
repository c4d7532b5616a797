#include "tensor_op_test_util.h"

namespace kiln::testing {
namespace {

TEST(TopKArgMaxKernels, TopKLargestAndSmallestWithTiesByIndex) {
  Tensor x = f32({3, 1, 3, 2, 1, 0}, {2, 3});
  auto big = run_ok(node_spec("TopK", {}, 2), {x, i64({2})});
  EXPECT_EQ(values_of<float>(big[0]), (std::vector<float>{3, 3, 2, 1}));
  EXPECT_EQ(values_of<int64_t>(big[1]), (std::vector<int64_t>{0, 2, 0, 1}));
  auto small = run_ok(node_spec("TopK", {{"largest", Attribute::of_int(0)}, {"axis", Attribute::of_int(0)}}, 2), {x, i64({1})});
  EXPECT_EQ(values_of<float>(small[0]), (std::vector<float>{2, 1, 0}));
  EXPECT_EQ(values_of<int64_t>(small[1]), (std::vector<int64_t>{1, 0, 1}));
  const NodeSpec old = node_spec("TopK", {{"k", Attribute::of_int(1)}}, 2, 9);
  EXPECT_EQ(values_of<float>(run_ok(old, {x})[0]), (std::vector<float>{3, 2}));
  EXPECT_EQ(run_code(node_spec("TopK", {}, 2), {x, i64({4})}), StatusCode::kInvalidArgument);
}

TEST(TopKArgMaxKernels, ArgMaxArgMinWithKeepdimsAndLastIndex) {
  Tensor x = f32({1, 5, 5, 0, 0, 2}, {2, 3});
  EXPECT_EQ(values_of<int64_t>(run_ok(node_spec("ArgMax", {{"axis", Attribute::of_int(1)}}), {x})[0]), (std::vector<int64_t>{1, 2}));
  const NodeSpec last = node_spec("ArgMax", {{"axis", Attribute::of_int(-1)}, {"select_last_index", Attribute::of_int(1)}, {"keepdims", Attribute::of_int(0)}});
  Tensor y = run_ok(last, {x})[0];
  EXPECT_EQ(y.dims(), (std::vector<int64_t>{2}));
  EXPECT_EQ(values_of<int64_t>(y), (std::vector<int64_t>{2, 2}));
  Tensor m = run_ok(node_spec("ArgMin"), {x})[0];
  EXPECT_EQ(m.dims(), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(values_of<int64_t>(m), (std::vector<int64_t>{1, 1, 1}));
  EXPECT_EQ(run_code(node_spec("ArgMax", {{"axis", Attribute::of_int(2)}}), {x}), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::testing
