#include <gtest/gtest.h>

#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::make_tensor;
using testing::run_node;

testing::NodeSpec op(std::string type, std::map<std::string, Attribute> attrs = {}) {
  testing::NodeSpec spec;
  spec.op_type = std::move(type);
  spec.attrs = std::move(attrs);
  return spec;
}

Tensor f32(std::vector<int64_t> dims, std::vector<float> v) { return make_tensor<float>(DataType::kFloat32, std::move(dims), v); }
Tensor i64(std::vector<int64_t> dims, std::vector<int64_t> v) { return make_tensor<int64_t>(DataType::kInt64, std::move(dims), v); }

std::vector<int64_t> values(const Tensor& t) { return {t.data<int64_t>(), t.data<int64_t>() + t.numel()}; }

// Boxes 0 and 1 overlap heavily (IoU 0.81); box 2 is apart; box 1 is given flipped corners.
Tensor three_boxes() { return f32({1, 3, 4}, {0, 0, 10, 10, 11, 11, 1, 1, 20, 20, 30, 30}); }

TEST(NonMaxSuppression, KeepsTheBestOfOverlappingBoxesPerClass) {
  Tensor scores = f32({1, 2, 3}, {0.9f, 0.95f, 0.3f, 0.1f, 0.2f, 0.8f});
  auto out = run_node(op("NonMaxSuppression"), {three_boxes(), scores, i64({1}, {3}), f32({1}, {0.5f})});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(values((*out)[0]), (std::vector<int64_t>{0, 0, 1, 0, 0, 2, 0, 1, 2, 0, 1, 1}));
  // A score threshold drops low scores; max_output_boxes_per_class caps each class.
  out = run_node(op("NonMaxSuppression"), {three_boxes(), scores, i64({1}, {1}), f32({1}, {0.5f}), f32({1}, {0.25f})});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(values((*out)[0]), (std::vector<int64_t>{0, 0, 1, 0, 1, 2}));
  // No max_output_boxes_per_class selects nothing.
  out = run_node(op("NonMaxSuppression"), {three_boxes(), scores});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{0, 3}));
}

TEST(NonMaxSuppression, CenterPointBoxesMatchCornerBoxes) {
  Tensor centers = f32({1, 3, 4}, {5, 5, 10, 10, 6, 6, 10, 10, 25, 25, 10, 10});
  Tensor scores = f32({1, 1, 3}, {0.9f, 0.95f, 0.3f});
  auto out = run_node(op("NonMaxSuppression", {{"center_point_box", Attribute::of_int(1)}}),
                      {centers, scores, i64({1}, {3}), f32({1}, {0.5f})});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(values((*out)[0]), (std::vector<int64_t>{0, 0, 1, 0, 0, 2}));
  EXPECT_FALSE(run_node(op("NonMaxSuppression"), {centers, scores, i64({1}, {3}), f32({1}, {1.5f})}).ok());
  EXPECT_FALSE(run_node(op("NonMaxSuppression"), {f32({1, 3, 5}, std::vector<float>(15, 1.f)), scores}).ok());
}

TEST(RoiAlign, AveragesALinearImageToItsValueAtBinCenters) {
  // Bilinear sampling reproduces a linear image exactly, and each bin's samples sit symmetric
  // around its center.
  const int64_t h = 8, w = 8;
  std::vector<float> img(h * w * 2);
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) img[(c * h + y) * w + x] = 0.5f * y + 0.25f * x + static_cast<float>(c);
  auto out = run_node(op("RoiAlign", {{"output_height", Attribute::of_int(2)}, {"output_width", Attribute::of_int(2)},
                                      {"sampling_ratio", Attribute::of_int(2)}}),
                      {f32({1, 2, h, w}, img), f32({1, 4}, {1, 2, 5, 6}), i64({1}, {0})});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  ASSERT_EQ((*out)[0].dims(), (std::vector<int64_t>{1, 2, 2, 2}));
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t ph = 0; ph < 2; ++ph)
      for (int64_t pw = 0; pw < 2; ++pw) {
        // half_pixel: the roi starts at (x, y) = (0.5, 1.5) and each bin is 2 x 2.
        const double cy = 1.5 + 2.0 * ph + 1.0, cx = 0.5 + 2.0 * pw + 1.0;
        EXPECT_NEAR((*out)[0].data<float>()[(c * 2 + ph) * 2 + pw], 0.5 * cy + 0.25 * cx + c, 1e-5);
      }
  auto bad = run_node(op("RoiAlign"), {f32({1, 2, h, w}, img), f32({1, 4}, {1, 2, 5, 6}), i64({1}, {1})});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kOutOfRange);
  EXPECT_FALSE(run_node(op("RoiAlign", {{"mode", Attribute::of_string("median")}}),
                        {f32({1, 2, h, w}, img), f32({1, 4}, {1, 2, 5, 6}), i64({1}, {0})}).ok());
}

}  // namespace
}  // namespace kiln
