// What Resize and Upsample are asked to do, read once from attributes and inputs (which moved
// between opsets) for both shape inference and the kernel.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/shape.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace kiln {

struct ResizeParams {
  std::string mode;              // nearest, linear or cubic
  std::string coordinate_mode;   // how an output coordinate maps to an input coordinate
  std::string nearest_mode;      // how nearest rounds
  double cubic_coeff_a = -0.75;
  bool exclude_outside = false;
  double extrapolation_value = 0.0;
  // Exactly one of these holds one entry per axis.
  std::vector<double> scales;
  std::vector<int64_t> sizes;
  std::vector<double> roi;  // starts then ends, normalized; only for tf_crop_and_resize
};

// Input indices of the scales and sizes for this node's op and opset (-1 where it has none).
struct ResizeInputs {
  int roi = -1;
  int scales = -1;
  int sizes = -1;
};
ResizeInputs resize_inputs(const Node& node);

// `inputs[i]` is input i's value (null when absent; empty tensors count as absent).
Expected<ResizeParams> read_resize_params(const Node& node, const std::vector<const Tensor*>& inputs, int rank);

// Output shape: the sizes, or floor(dim * scale) per axis.
Shape resize_output_shape(const ResizeParams& params, const Shape& in);

}  // namespace kiln
