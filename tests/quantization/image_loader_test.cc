#include "quantization/image_loader.h"

#include <gtest/gtest.h>
#include <stb_image_write.h>

#include <filesystem>
#include <random>
#include <vector>

namespace kiln {
namespace {

namespace fs = std::filesystem;

struct Png {
  std::string path;
  std::vector<uint8_t> pixels;  // rows of width * channels bytes
};

// A random PNG written with stb_image_write.
Png write_png(const std::string& name, int height, int width, int channels, uint32_t seed) {
  Png png{(fs::temp_directory_path() / ("kiln_image_loader_test_" + name + ".png")).string(), {}};
  std::mt19937 rng(seed);
  png.pixels.resize(static_cast<size_t>(height * width * channels));
  for (uint8_t& p : png.pixels) p = static_cast<uint8_t>(rng() % 256);
  EXPECT_NE(stbi_write_png(png.path.c_str(), width, height, channels, png.pixels.data(), width * channels), 0);
  return png;
}

TEST(ImageLoader, NormalizesPerColorInBgrNhwc) {
  const int h = 3, w = 5;
  const Png png = write_png("bgr", h, w, 3, 1);
  CalibrationConfig config;
  config.scale = 2.f;
  config.mean = {10.f, 20.f, 30.f};  // R, G, B
  config.std = {2.f, 4.f, 8.f};
  config.channel_order = ChannelOrder::kBGR;
  config.layout = ImageLayout::kNHWC;
  auto t = load_image_sample(png.path, {3, h, w}, config);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  ASSERT_EQ(t->dims(), (std::vector<int64_t>{1, h, w, 3}));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) {
        const int color = 2 - c;  // channel 0 is blue
        const float pixel = png.pixels[static_cast<size_t>((y * w + x) * 3 + color)];
        const float want = (pixel * 2.f - config.mean[static_cast<size_t>(color)]) / config.std[static_cast<size_t>(color)];
        EXPECT_FLOAT_EQ(t->data<float>()[(y * w + x) * 3 + c], want) << y << "," << x << "," << c;
      }
  fs::remove(png.path);
}

TEST(ImageLoader, RgbNchwWithOneMeanForAll) {
  const int h = 4, w = 2;
  const Png png = write_png("rgb", h, w, 3, 2);
  CalibrationConfig config;
  config.mean = {0.5f};
  config.std = {0.25f};
  auto t = load_image_sample(png.path, {3, h, w}, config);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  ASSERT_EQ(t->dims(), (std::vector<int64_t>{1, 3, h, w}));
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < h * w; ++i) {
      const float pixel = png.pixels[static_cast<size_t>(i * 3 + c)];
      EXPECT_FLOAT_EQ(t->data<float>()[c * h * w + i], (pixel * config.scale - 0.5f) / 0.25f);
    }
  fs::remove(png.path);
}

TEST(ImageLoader, GrayscaleImageForOneChannel) {
  const int h = 6, w = 7;
  const Png png = write_png("gray", h, w, 1, 3);
  CalibrationConfig config;
  auto t = load_image_sample(png.path, {1, h, w}, config);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  ASSERT_EQ(t->dims(), (std::vector<int64_t>{1, 1, h, w}));
  for (int i = 0; i < h * w; ++i) EXPECT_FLOAT_EQ(t->data<float>()[i], png.pixels[static_cast<size_t>(i)] * config.scale);
  fs::remove(png.path);
}

TEST(ImageLoader, ResizesToTheInputSize) {
  // A uniform image stays uniform whatever the filter; the size is the input's.
  const std::string path = (fs::temp_directory_path() / "kiln_image_loader_test_resize.png").string();
  std::vector<uint8_t> pixels(16 * 12, 200);
  ASSERT_NE(stbi_write_png(path.c_str(), 12, 16, 1, pixels.data(), 12), 0);
  CalibrationConfig config;
  config.scale = 1.f;
  auto t = load_image_sample(path, {1, 5, 3}, config);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  ASSERT_EQ(t->dims(), (std::vector<int64_t>{1, 1, 5, 3}));
  for (int i = 0; i < 15; ++i) EXPECT_NEAR(t->data<float>()[i], 200.f, 1.f);
  fs::remove(path);
}

TEST(ImageLoader, SettingsThatCannotFitAreErrors) {
  CalibrationConfig config;
  config.mean = {1.f, 2.f, 3.f};
  EXPECT_FALSE(check_image_preprocessing(config, 1).ok());  // three means, one channel
  config.mean = {0.f};
  config.std = {0.f};
  EXPECT_FALSE(check_image_preprocessing(config, 3).ok());  // zero std
  EXPECT_FALSE(check_image_preprocessing(CalibrationConfig{}, 4).ok());
  EXPECT_FALSE(load_image_sample("/nonexistent.png", {1, 2, 2}, CalibrationConfig{}).ok());
}

}  // namespace
}  // namespace kiln
