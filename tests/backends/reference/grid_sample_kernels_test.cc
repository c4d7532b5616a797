#include <gtest/gtest.h>

#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::make_tensor;
using testing::run_node;

Tensor f32(std::vector<int64_t> dims, std::vector<float> v) { return make_tensor<float>(DataType::kFloat32, std::move(dims), v); }

Expected<std::vector<Tensor>> grid_sample(const Tensor& x, const Tensor& grid, const std::string& mode,
                                          const std::string& padding, int64_t align_corners) {
  testing::NodeSpec spec;
  spec.op_type = "GridSample";
  spec.attrs = {{"mode", Attribute::of_string(mode)}, {"padding_mode", Attribute::of_string(padding)},
                {"align_corners", Attribute::of_int(align_corners)}};
  return run_node(spec, {x, grid});
}

// One row of 4 pixels, 1 high.
Tensor row() { return f32({1, 1, 1, 4}, {1.f, 2.f, 4.f, 8.f}); }

// Grid points (x, 0) for the given normalized x values.
Tensor grid_x(const std::vector<float>& xs) {
  std::vector<float> g;
  for (float x : xs) g.insert(g.end(), {x, 0.f});
  return f32({1, 1, static_cast<int64_t>(xs.size()), 2}, g);
}

TEST(GridSample, EveryModeReturnsPixelsAtPixelCenters) {
  for (const char* mode : {"bilinear", "nearest", "bicubic"}) {
    auto out = grid_sample(row(), grid_x({-1.f, -1.f / 3, 1.f / 3, 1.f}), mode, "zeros", 1);
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    const float* y = (*out)[0].data<float>();
    EXPECT_NEAR(y[0], 1.f, 1e-5) << mode;
    EXPECT_NEAR(y[1], 2.f, 1e-5) << mode;
    EXPECT_NEAR(y[2], 4.f, 1e-5) << mode;
    EXPECT_NEAR(y[3], 8.f, 1e-5) << mode;
  }
}

TEST(GridSample, PaddingModesDecideWhatLiesOutside) {
  // Without align_corners, x = -1 is the left edge of pixel 0: pixel coordinate -0.5.
  // x = -1.25 is coordinate -1: wholly outside for zeros, clamped to pixel 0 for border.
  auto zeros = grid_sample(row(), grid_x({-1.f, -1.25f, 0.f}), "bilinear", "zeros", 0);
  ASSERT_TRUE(zeros.ok()) << zeros.status().to_string();
  EXPECT_NEAR((*zeros)[0].data<float>()[0], 0.5f, 1e-6);  // half of pixel 0, half of zero padding
  EXPECT_NEAR((*zeros)[0].data<float>()[1], 0.f, 1e-6);
  EXPECT_NEAR((*zeros)[0].data<float>()[2], 3.f, 1e-6);  // between pixels 1 and 2
  auto border = grid_sample(row(), grid_x({-1.25f}), "bilinear", "border", 0);
  ASSERT_TRUE(border.ok());
  EXPECT_NEAR((*border)[0].data<float>()[0], 1.f, 1e-6);
  auto reflection = grid_sample(row(), grid_x({-1.5f}), "bilinear", "reflection", 0);
  ASSERT_TRUE(reflection.ok());
  // -1.5 -> coordinate -1.5, mirrored about -0.5 to 0.5: halfway between pixels 0 and 1.
  EXPECT_NEAR((*reflection)[0].data<float>()[0], 1.5f, 1e-6);
}

TEST(GridSample, RejectsBadAttributesAndShapes) {
  EXPECT_FALSE(grid_sample(row(), grid_x({0.f}), "area", "zeros", 0).ok());
  EXPECT_FALSE(grid_sample(row(), grid_x({0.f}), "bilinear", "wrap", 0).ok());
  EXPECT_FALSE(grid_sample(row(), f32({1, 1, 1, 3}, {0, 0, 0}), "bilinear", "zeros", 0).ok());
}

}  // namespace
}  // namespace kiln
