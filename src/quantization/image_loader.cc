#include "quantization/image_loader.h"

#include <stb_image.h>
#include <stb_image_resize.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <vector>

#include "core/error.h"

namespace kiln {

namespace {

// mean or std for a color: one value serves every channel.
float per_color(const std::vector<float>& values, int64_t color) {
  return values.size() == 1 ? values[0] : values[static_cast<size_t>(color)];
}

}  // namespace

bool is_image_file(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* e : {".png", ".jpg", ".jpeg", ".bmp", ".tga", ".gif", ".pgm", ".ppm", ".pnm"})
    if (ext == e) return true;
  return false;
}

Status check_image_preprocessing(const CalibrationConfig& config, int64_t channels) {
  if (channels != 1 && channels != 3)
    return unsupported("images make inputs of 1 (grayscale) or 3 channels, not {} (check the layout: {})", channels,
                       config.layout == ImageLayout::kNCHW ? "nchw" : "nhwc");
  for (const auto* values : {&config.mean, &config.std}) {
    const char* what = values == &config.mean ? "mean" : "std";
    if (values->size() != 1 && values->size() != static_cast<size_t>(channels))
      return invalid_argument("the calibration {} has {} values; the input has {} channel(s)", what, values->size(),
                              channels);
  }
  for (float s : config.std)
    if (s == 0.f) return invalid_argument("the calibration std must not be zero");
  return Status::Ok();
}

Tensor preprocess_pixels(const uint8_t* pixels, const ImageGeometry& g, const CalibrationConfig& config) {
  const bool nchw = config.layout == ImageLayout::kNCHW;
  Tensor out(DataType::kFloat32, nchw ? std::vector<int64_t>{1, g.channels, g.height, g.width}
                                      : std::vector<int64_t>{1, g.height, g.width, g.channels});
  float* dst = out.data<float>();
  for (int64_t c = 0; c < g.channels; ++c) {
    const int64_t color = config.channel_order == ChannelOrder::kBGR && g.channels == 3 ? 2 - c : c;
    const float mean = per_color(config.mean, color), std = per_color(config.std, color);
    for (int64_t y = 0; y < g.height; ++y)
      for (int64_t x = 0; x < g.width; ++x) {
        const float v = (static_cast<float>(pixels[(y * g.width + x) * g.channels + color]) * config.scale - mean) / std;
        dst[nchw ? (c * g.height + y) * g.width + x : (y * g.width + x) * g.channels + c] = v;
      }
  }
  return out;
}

Expected<Tensor> load_image_sample(const std::string& path, const ImageGeometry& g, const CalibrationConfig& config) {
  KILN_RETURN_IF_ERROR(check_image_preprocessing(config, g.channels));
  int width = 0, height = 0, file_channels = 0;
  std::unique_ptr<uint8_t, void (*)(void*)> decoded(
      stbi_load(path.c_str(), &width, &height, &file_channels, static_cast<int>(g.channels)), stbi_image_free);
  if (!decoded) return invalid_argument("cannot decode image '{}': {}", path, stbi_failure_reason());
  if (width == g.width && height == g.height) return preprocess_pixels(decoded.get(), g, config);
  std::vector<uint8_t> resized(static_cast<size_t>(g.height * g.width * g.channels));
  if (!stbir_resize_uint8(decoded.get(), width, height, 0, resized.data(), static_cast<int>(g.width),
                          static_cast<int>(g.height), 0, static_cast<int>(g.channels)))
    return internal_error("cannot resize image '{}' from {}x{} to {}x{}", path, height, width, g.height, g.width);
  return preprocess_pixels(resized.data(), g, config);
}

}  // namespace kiln
