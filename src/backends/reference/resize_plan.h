// Resize's per-axis sampling plan: for each output coordinate of one axis, the input taps
// (index, weight) that make it, or the extrapolation value. Every mode ONNX defines is separable,
// so a resize is one plan per axis. Shared by the reference kernel and the CUDA kernels, so both
// sample alike.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/ops/resize_params.h"

namespace kiln {

struct Tap {
  int64_t index;
  double weight;
};

// Output coordinate x of one axis -> either taps into the input or the extrapolation value.
struct AxisPlan {
  std::vector<std::vector<Tap>> taps;  // per output coordinate
  std::vector<bool> extrapolate;       // tf_crop_and_resize sampling outside the input
};

// The plan for `axis` (of `rank`) resized from in_dim to out_dim.
AxisPlan plan_axis(const ResizeParams& p, int axis, int rank, int64_t in_dim, int64_t out_dim);

// True when the plan maps every coordinate to itself (the axis needs no pass).
bool is_identity(const AxisPlan& plan, int64_t in_dim);

}  // namespace kiln
