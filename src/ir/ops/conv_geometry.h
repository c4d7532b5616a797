// Spatial geometry of the convolution ops (Conv, ConvInteger, QLinearConv, ConvTranspose) and of
// the windowed pools (MaxPool, AveragePool, LpPool, which add ceil_mode): kernel, strides,
// dilations, resolved pads and output size per spatial axis. Shape inference and the
// kernels both use it, so the pads a kernel applies are the ones its output shape was made with.
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "ir/graph.h"
#include "ir/op_schema.h"

namespace kiln {

// Conv's attributes (auto_pad, dilations, group, kernel_shape, pads, strides) with their defaults,
// for every op that convolves: Conv, ConvTranspose, ConvInteger, QLinearConv, kiln.FusedConv, kiln.QConv.
OpSchema conv_attrs(OpSchema s);

struct ConvGeometry {
  // One entry per spatial axis; -1 in input/kernel/output/pads means not known yet.
  std::vector<int64_t> input, kernel, strides, dilations, pads_begin, pads_end, output;
  // ConvTranspose only: output_padding (zeros for Conv).
  std::vector<int64_t> output_padding;

  int spatial_rank() const { return static_cast<int>(input.size()); }
};

// Resolves the node's attributes (auto_pad, pads, strides, dilations, kernel_shape, ceil_mode, and
// for ConvTranspose output_padding, output_shape) against the spatial input dims and the spatial
// kernel dims of the weights (-1 where unknown). Errors name the attribute at fault.
Expected<ConvGeometry> conv_geometry(const Node& node, const std::vector<int64_t>& input,
                                     const std::vector<int64_t>& weight_kernel, bool transposed);

}  // namespace kiln
