#include "tensor_op_test_util.h"

namespace kiln::testing {
namespace {

TEST(MaskKernels, TriluKeepsTheTriangleOnEachMatrix) {
  Tensor x = random_float({2, 3, 4}, 81);
  for (int upper : {0, 1})
    for (int64_t k : {-1, 0, 2}) {
      Tensor y = run_ok(node_spec("Trilu", {{"upper", Attribute::of_int(upper)}}), {x, i64({k}, {})})[0];
      for (int m = 0; m < 2; ++m)
        for (int i = 0; i < 3; ++i)
          for (int j = 0; j < 4; ++j) {
            const int at = (m * 3 + i) * 4 + j;
            const bool keep = upper ? j - i >= k : j - i <= k;
            EXPECT_EQ(y.data<float>()[at], keep ? x.data<float>()[at] : 0.f) << upper << " " << k;
          }
    }
  EXPECT_EQ(run_code(node_spec("Trilu"), {random_float({3}, 82)}), StatusCode::kInvalidArgument);
}

TEST(MaskKernels, DropoutAtInferencePassesDataAndAllTrueMask) {
  Tensor x = random_float({2, 3}, 83);
  auto out = run_ok(node_spec("Dropout", {}, 2), {x, f32({0.3f}, {})});
  EXPECT_EQ(values_of<float>(out[0]), values_of<float>(x));
  ASSERT_EQ(out[1].dtype(), DataType::kBool);
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(out[1].data<bool>()[i]);
  Tensor on = make_tensor<bool>(DataType::kBool, {}, {true});
  EXPECT_EQ(run_code(node_spec("Dropout"), {x, f32({0.3f}, {}), on}), StatusCode::kUnsupported);
  EXPECT_EQ(run_code(node_spec("Dropout"), {x, f32({0.f}, {}), on}), StatusCode::kOk);
}

}  // namespace
}  // namespace kiln::testing
