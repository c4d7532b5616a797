#include "tensor_op_test_util.h"

namespace kiln::testing {
namespace {

TEST(ScanKernels, CumSumExclusiveAndReverse) {
  Tensor x = random_float({2, 3}, 101);
  const float* v = x.data<float>();
  Tensor y = run_ok(node_spec("CumSum", {{"exclusive", Attribute::of_int(1)}, {"reverse", Attribute::of_int(1)}}),
                    {x, make_tensor<int32_t>(DataType::kInt32, {}, {1})})[0];
  for (int r = 0; r < 2; ++r) {
    EXPECT_FLOAT_EQ(y.data<float>()[r * 3 + 2], 0.f);
    EXPECT_FLOAT_EQ(y.data<float>()[r * 3 + 1], v[r * 3 + 2]);
    EXPECT_FLOAT_EQ(y.data<float>()[r * 3 + 0], v[r * 3 + 1] + v[r * 3 + 2]);
  }
  Tensor z = run_ok(node_spec("CumSum"), {i64({1, 2, 3}), i64({0}, {})})[0];
  EXPECT_EQ(values_of<int64_t>(z), (std::vector<int64_t>{1, 3, 6}));
  EXPECT_EQ(run_code(node_spec("CumSum"), {x, i64({2}, {})}), StatusCode::kInvalidArgument);
}

TEST(ScanKernels, ReverseSequenceReversesEachPrefix) {
  // [time=3, batch=2]
  Tensor x = f32({0, 10, 1, 11, 2, 12}, {3, 2});
  Tensor y = run_ok(node_spec("ReverseSequence"), {x, i64({3, 2})})[0];
  EXPECT_EQ(values_of<float>(y), (std::vector<float>{2, 11, 1, 10, 0, 12}));
  const NodeSpec batch_first = node_spec("ReverseSequence", {{"batch_axis", Attribute::of_int(0)}, {"time_axis", Attribute::of_int(1)}});
  Tensor z = run_ok(batch_first, {f32({0, 1, 2, 10, 11, 12}, {2, 3}), i64({1, 2})})[0];
  EXPECT_EQ(values_of<float>(z), (std::vector<float>{0, 1, 2, 11, 10, 12}));
  EXPECT_EQ(run_code(node_spec("ReverseSequence"), {x, i64({4, 1})}), StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace kiln::testing
