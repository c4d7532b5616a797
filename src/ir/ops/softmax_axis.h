// The axis of Softmax, LogSoftmax and Hardmax, whose meaning and default changed in opset 13.
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "ir/graph.h"

namespace kiln {

// The input viewed as [outer, n, inner], the op working along n. From opset 13 n is the one
// axis 'axis' (default -1); before, the input is coerced to 2-D at 'axis' (default 1): n spans
// every axis from it on and inner is 1.
struct SoftmaxSpan {
  int64_t outer = 1;
  int64_t n = 1;
  int64_t inner = 1;
};

Expected<SoftmaxSpan> softmax_span(const Node& node, const std::vector<int64_t>& dims);

// The normalized axis alone, for inference over shapes with unknown dims.
Expected<int> softmax_axis(const Node& node, int rank);

}  // namespace kiln
