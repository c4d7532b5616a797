// Calibration images take their size from the first profile's opt shape when the input's height
// or width is dynamic and no --calib-resize was given.
#include "quantization/calibration_image_size.h"

#include <memory>

#include "gtest/gtest.h"

namespace kiln {
namespace {

// A graph whose only input is `dims` (float32).
std::unique_ptr<Graph> graph_with_input(std::vector<Dim> dims) {
  auto g = std::make_unique<Graph>();
  g->name = "image_size";
  Value* x = *g->add_value("image");
  x->set_type(DataType::kFloat32, Shape(std::move(dims)));
  g->inputs().push_back(x);
  return g;
}

std::vector<OptimizationProfile> profile_with_opt(std::vector<int64_t> opt) {
  OptimizationProfile p;
  p.inputs["image"] = ShapeRange{opt, opt, opt};
  return {p};
}

TEST(CalibrationImageSize, DynamicHeightAndWidthTakeTheOptShape) {
  const auto g = graph_with_input({Dim::symbolic("n"), 3, Dim::symbolic("h"), Dim::symbolic("w")});
  const CalibrationConfig sized = with_profile_image_size({}, *g, profile_with_opt({8, 3, 480, 640}));
  EXPECT_EQ(sized.resize, (std::vector<int64_t>{480, 640}));
}

TEST(CalibrationImageSize, ChannelsLastImagesReadHeightAndWidthFromTheirAxes) {
  const auto g = graph_with_input({1, Dim::symbolic("h"), Dim::symbolic("w"), 3});
  CalibrationConfig config;
  config.layout = ImageLayout::kNHWC;
  const CalibrationConfig sized = with_profile_image_size(config, *g, profile_with_opt({1, 320, 256, 3}));
  EXPECT_EQ(sized.resize, (std::vector<int64_t>{320, 256}));
}

TEST(CalibrationImageSize, AGivenSizeStaticImagesAndNoProfileLeaveTheConfigAlone) {
  const auto dynamic = graph_with_input({1, 3, Dim::symbolic("h"), Dim::symbolic("w")});
  CalibrationConfig given;
  given.resize = {100, 200};
  EXPECT_EQ(with_profile_image_size(given, *dynamic, profile_with_opt({1, 3, 480, 640})).resize,
            (std::vector<int64_t>{100, 200}));
  EXPECT_TRUE(with_profile_image_size({}, *dynamic, {}).resize.empty());
  // Only the batch is dynamic: the input's own H and W serve.
  const auto static_hw = graph_with_input({Dim::symbolic("n"), 3, 224, 224});
  EXPECT_TRUE(with_profile_image_size({}, *static_hw, profile_with_opt({4, 3, 224, 224})).resize.empty());
}

}  // namespace
}  // namespace kiln
