// Slice's per-axis windows, shared by its shape inference and its kernel so both clamp alike.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace kiln {

// The elements an axis keeps: `count` of them, from `start`, `step` apart.
struct SliceWindow {
  int64_t start = 0;
  int64_t step = 1;
  int64_t count = 0;
};

// Clamps start/end as ONNX specifies (negative values count from the end; out-of-range values
// are clamped, differently for negative steps) and counts the elements taken.
SliceWindow clamp_slice(int64_t start, int64_t end, int64_t step, int64_t dim);

// One entry per sliced axis, axes normalized and unique, steps nonzero.
struct SliceArgs {
  std::vector<int> axes;
  std::vector<int64_t> starts, ends, steps;
};

// Reads starts/ends/axes/steps: attributes before opset 10, inputs 1..4 from then on
// (`inputs[i]` is input i+1's value, null when absent).
Expected<SliceArgs> read_slice_args(const Node& node, const std::vector<const Tensor*>& inputs, int rank);

}  // namespace kiln
