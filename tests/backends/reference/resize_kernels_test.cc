#include <cmath>

#include "tensor_op_test_util.h"

namespace kiln::testing {
namespace {

Tensor no_input() { return Tensor(); }

TEST(ResizeKernels, LinearAlignCornersIsBilinearOnTheCornerGrid) {
  Tensor x = random_float({1, 1, 3, 4}, 111);
  const NodeSpec spec = node_spec("Resize", {{"mode", Attribute::of_string("linear")},
                           {"coordinate_transformation_mode", Attribute::of_string("align_corners")}});
  Tensor y = run_ok(spec, {x, no_input(), no_input(), i64({1, 1, 5, 7})})[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{1, 1, 5, 7}));
  auto at = [&](int r, int c) { return x.data<float>()[r * 4 + c]; };
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 7; ++j) {
      const double sy = i * 2.0 / 4, sx = j * 3.0 / 6;
      const int y0 = std::min(static_cast<int>(sy), 1), x0 = std::min(static_cast<int>(sx), 2);
      const double fy = sy - y0, fx = sx - x0;
      const double expected = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
                              fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
      EXPECT_NEAR(y.data<float>()[i * 7 + j], expected, 1e-5) << i << "," << j;
    }
}

TEST(ResizeKernels, NearestUpsampleByScalesRepeatsPixels) {
  Tensor x = random_float({1, 1, 2, 2}, 112);
  Tensor y = run_ok(node_spec("Resize"), {x, no_input(), f32({1, 1, 2, 3}, {4})})[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{1, 1, 4, 6}));
  // half_pixel + round_prefer_floor at integer scales picks floor(x / scale).
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 6; ++j) EXPECT_EQ(y.data<float>()[i * 6 + j], x.data<float>()[(i / 2) * 2 + j / 3]);
  const NodeSpec upsample = node_spec("Upsample", {{"scales", Attribute::of_floats({1, 1, 2, 3})}}, 1, 7);
  EXPECT_EQ(values_of<float>(run_ok(upsample, {x})[0]), values_of<float>(y));
}

TEST(ResizeKernels, CubicAtScaleOneIsIdentity) {
  Tensor x = random_float({2, 3, 5}, 113);
  const NodeSpec spec = node_spec("Resize", {{"mode", Attribute::of_string("cubic")}, {"exclude_outside", Attribute::of_int(1)}});
  Tensor y = run_ok(spec, {x, no_input(), f32({1, 1, 1}, {3})})[0];
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_NEAR(y.data<float>()[i], x.data<float>()[i], 1e-6);
}

TEST(ResizeKernels, TfCropAndResizeExtrapolatesOutsideTheRoi) {
  Tensor x = random_float({1, 4}, 114);
  const NodeSpec spec = node_spec("Resize", {{"mode", Attribute::of_string("linear")},
                           {"coordinate_transformation_mode", Attribute::of_string("tf_crop_and_resize")},
                           {"extrapolation_value", Attribute::of_float(7.f)}});
  // ROI on the last axis from 0.5 to 1.5 of the input extent: the right half falls outside.
  Tensor y = run_ok(spec, {x, f32({0, 0.5f, 1, 1.5f}, {4}), no_input(), i64({1, 3})})[0];
  ASSERT_EQ(y.numel(), 3);
  EXPECT_NEAR(y.data<float>()[0], 0.5 * x.data<float>()[1] + 0.5 * x.data<float>()[2], 1e-6);
  EXPECT_EQ(y.data<float>()[2], 7.f);
}

TEST(ResizeKernels, RejectsBadParameters) {
  Tensor x = random_float({1, 4}, 115);
  EXPECT_EQ(run_code(node_spec("Resize"), {x, no_input(), f32({1}, {1})}), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(node_spec("Resize"), {x, no_input(), f32({1, -2}, {2})}), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(node_spec("Resize", {{"mode", Attribute::of_string("area")}}), {x, no_input(), f32({1, 2}, {2})}),
            StatusCode::kInvalidArgument);
}

TEST(ResizeKernels, InferenceWithUnknownSizesKeepsRank) {
  auto out = infer_only(node_spec("Resize"), {input_of(DataType::kFloat32, Shape::from_dims({1, 3, 8, 8})), InferContext::Input{},
                                     InferContext::Input{}, input_of(DataType::kInt64, Shape::from_dims({4}))});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].second, Shape::unknown_dims(4));
}

}  // namespace
}  // namespace kiln::testing
