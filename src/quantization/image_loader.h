// Calibration images: decoded with stb_image (PNG, JPEG, BMP, TGA, GIF, PNM), resized with
// stb_image_resize, normalized per channel and laid out as the model input expects.
#pragma once

#include <cstdint>
#include <string>

#include "core/tensor.h"
#include "kiln/kiln.h"

namespace kiln {

// What one image must become: a float32 sample [1, C, H, W] or [1, H, W, C] (config.layout).
struct ImageGeometry {
  int64_t channels = 0;  // 1 (grayscale) or 3
  int64_t height = 0;
  int64_t width = 0;
};

// Whether the file's extension is one of the image formats above.
bool is_image_file(const std::string& path);

// The mean/std/scale settings fit `channels` (one value, or three for three channels; no zero std).
Status check_image_preprocessing(const CalibrationConfig& config, int64_t channels);

// Decodes (gray for one channel), resizes when the size differs, and preprocesses the image.
Expected<Tensor> load_image_sample(const std::string& path, const ImageGeometry& geometry,
                                   const CalibrationConfig& config);

// The preprocessing of decoded pixels: `pixels` holds geometry.height rows of geometry.width
// pixels of geometry.channels bytes (R, G, B or gray). Element (c, y, x) of the sample is
// (pixels[y][x][color] * scale - mean[color]) / std[color], where color is c, or 2 - c for BGR.
Tensor preprocess_pixels(const uint8_t* pixels, const ImageGeometry& geometry, const CalibrationConfig& config);

}  // namespace kiln
