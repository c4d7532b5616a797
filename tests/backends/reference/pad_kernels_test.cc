#include "tensor_op_test_util.h"

namespace kiln::testing {
namespace {

// Reference index maps for one axis of size 4 padded by 2 before: reflect mirrors about the
// edge element, edge repeats it.
TEST(PadKernels, ModesFillAsDefined) {
  Tensor x = random_float({2, 4}, 61);
  const float* v = x.data<float>();
  const int reflect[] = {2, 1, 0, 1, 2, 3, 2};
  const int edge[] = {0, 0, 0, 1, 2, 3, 3};
  for (const char* mode : {"constant", "reflect", "edge"}) {
    Tensor y = run_ok(node_spec("Pad", {{"mode", Attribute::of_string(mode)}}), {x, i64({0, 2, 1, 1}), f32({9.f}, {})})[0];
    ASSERT_EQ(y.dims(), (std::vector<int64_t>{3, 7})) << mode;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 7; ++j) {
        float expected;
        if (std::string(mode) == "constant") expected = (i < 2 && j >= 2 && j < 6) ? v[i * 4 + j - 2] : 9.f;
        else if (std::string(mode) == "reflect") expected = v[(i < 2 ? i : 0) * 4 + reflect[j]];
        else expected = v[(i < 2 ? i : 1) * 4 + edge[j]];
        EXPECT_EQ(y.data<float>()[i * 7 + j], expected) << mode << " " << i << "," << j;
      }
  }
}

TEST(PadKernels, NegativePadsCropAndOldOpsetTakesAttributes) {
  Tensor x = random_float({5}, 62);
  Tensor y = run_ok(node_spec("Pad"), {x, i64({-1, -2})})[0];
  EXPECT_EQ(values_of<float>(y), (std::vector<float>{x.data<float>()[1], x.data<float>()[2]}));
  const NodeSpec old = node_spec("Pad", {{"pads", Attribute::of_ints({1, 0})}, {"value", Attribute::of_float(3.f)}}, 1, 2);
  Tensor z = run_ok(old, {x})[0];
  ASSERT_EQ(z.numel(), 6);
  EXPECT_EQ(z.data<float>()[0], 3.f);
  EXPECT_EQ(z.data<float>()[1], x.data<float>()[0]);
  EXPECT_EQ(run_code(node_spec("Pad"), {x, i64({1})}), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(node_spec("Pad"), {x, i64({-3, -3})}), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::testing
