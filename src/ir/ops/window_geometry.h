// Sliding-window geometry of the pooling ops: per spatial axis the kernel, stride, dilation and
// pads, and the output size they give. Shape inference and the kernels both resolve the window
// here, so the shape a kernel fills is exactly the shape inference promised.
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "ir/graph.h"

namespace kiln {

struct WindowAxis {
  int64_t kernel = 1;
  int64_t stride = 1;
  int64_t dilation = 1;
  int64_t pad_begin = 0;
  int64_t pad_end = 0;
  int64_t input = -1;   // spatial size of the input; -1 when unknown
  int64_t output = -1;  // spatial size of the output; -1 when the input size is unknown

  // Extent of the dilated kernel.
  int64_t span() const { return dilation * (kernel - 1) + 1; }
};

// Reads strides, dilations and pads (each optional, defaulting to 1, 1 and 0) for the given kernel
// and checks their lengths and ranges. Sizes are not resolved yet.
Expected<std::vector<WindowAxis>> read_window_attrs(const Node& node, const std::vector<int64_t>& kernel);

// Resolves the output size of each axis from its input size (-1 = unknown) under the node's
// auto_pad and ceil_mode attributes (absent means NOTSET / floor); SAME_* padding replaces the
// explicit pads. Errors when a window does not fit the padded input.
Status resolve_pooled_sizes(const Node& node, const std::vector<int64_t>& input_spatial,
                            std::vector<WindowAxis>& axes);

}  // namespace kiln
