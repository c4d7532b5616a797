#include "backends/cuda/cudnn/space_to_depth_stem.h"

#include <cstring>

#include "core/error.h"

namespace kiln::cuda {

size_t SpaceToDepthStem::block_bytes() const {
  return static_cast<size_t>(blocks.batch * blocks.in_h * blocks.in_w * kBlockChannels) *
         data_type_size(blocks.dtype);
}

Expected<SpaceToDepthStem> space_to_depth_stem(const ConvProblem& p) {
  if (!p.channels_last || p.transposed) return unsupported("the space-to-depth stem runs channels-last convolutions only");
  if (p.quant.has_value() && p.dtype != DataType::kInt8)
    return unsupported("the space-to-depth stem runs float and int8 layers, not {} kiln.QConv", data_type_name(p.dtype));
  if (p.in_channels > SpaceToDepthStem::kPixelChannels)
    return unsupported("the space-to-depth stem is for at most {} input channels, not {}",
                       SpaceToDepthStem::kPixelChannels, p.in_channels);
  if (p.group != 1) return unsupported("the space-to-depth stem does not run grouped convolutions");
  for (size_t i = 0; i < 2; ++i) {
    if (p.stride[i] != 2 || p.dilation[i] != 1)
      return unsupported("the space-to-depth stem needs stride 2 and no dilation");
    if (p.pad_begin[i] < 0 || p.pad_end[i] < 0) return unsupported("the space-to-depth stem needs non-negative pads");
  }
  SpaceToDepthStem stem;
  stem.channels = p.in_channels;
  stem.height = p.in_h;
  stem.width = p.in_w;
  stem.blocks = p;
  stem.blocks.in_channels = SpaceToDepthStem::kBlockChannels;
  const int64_t kernel[2] = {p.kernel_h, p.kernel_w}, out[2] = {p.out_h, p.out_w};
  int64_t block_kernel[2], block_size[2];
  for (size_t i = 0; i < 2; ++i) {
    const int64_t odd = p.pad_begin[i] % 2;  // tap 0 falls on the second row of its block
    stem.origin[i] = p.pad_begin[i] + odd;
    block_kernel[i] = (odd + kernel[i] - 1) / 2 + 1;
    block_size[i] = out[i] + block_kernel[i] - 1;
    stem.blocks.stride[i] = 1;
    stem.blocks.pad_begin[i] = stem.blocks.pad_end[i] = 0;
  }
  stem.blocks.kernel_h = block_kernel[0];
  stem.blocks.kernel_w = block_kernel[1];
  stem.blocks.in_h = block_size[0];
  stem.blocks.in_w = block_size[1];
  return stem;
}

ConvGeometry32 space_to_depth_row_geometry(const SpaceToDepthStem& stem) {
  ConvGeometry32 g = conv_geometry32(stem.blocks);
  g.in_channels = static_cast<int32_t>(stem.blocks.kernel_w * SpaceToDepthStem::kBlockChannels);
  g.in_pixel_stride = static_cast<int32_t>(SpaceToDepthStem::kBlockChannels);
  g.kernel_w = 1;
  return g;
}

std::vector<uint8_t> space_to_depth_weights(const SpaceToDepthStem& stem, const ConvProblem& p,
                                            const uint8_t* weights, size_t element_size) {
  const ConvProblem& b = stem.blocks;
  const int64_t out_channels = p.out_channels, channels = stem.channels;
  const int64_t odd[2] = {p.pad_begin[0] % 2, p.pad_begin[1] % 2};
  std::vector<uint8_t> blocked(static_cast<size_t>(out_channels * b.kernel_h * b.kernel_w *
                                                   SpaceToDepthStem::kBlockChannels) * element_size, 0);
  for (int64_t o = 0; o < out_channels; ++o)
    for (int64_t by = 0; by < b.kernel_h; ++by)
      for (int64_t bx = 0; bx < b.kernel_w; ++bx)
        for (int64_t dy = 0; dy < 2; ++dy)
          for (int64_t dx = 0; dx < 2; ++dx) {
            const int64_t ky = 2 * by + dy - odd[0], kx = 2 * bx + dx - odd[1];
            if (ky < 0 || ky >= p.kernel_h || kx < 0 || kx >= p.kernel_w) continue;
            for (int64_t c = 0; c < channels; ++c) {
              const int64_t from = ((o * p.kernel_h + ky) * p.kernel_w + kx) * channels + c;
              const int64_t to = ((o * b.kernel_h + by) * b.kernel_w + bx) * SpaceToDepthStem::kBlockChannels +
                                 (dy * 2 + dx) * SpaceToDepthStem::kPixelChannels + c;
              std::memcpy(&blocked[static_cast<size_t>(to) * element_size],
                          weights + static_cast<size_t>(from) * element_size, element_size);
            }
          }
  return blocked;
}

}  // namespace kiln::cuda
