// Which axes a Reduce* node reduces. Before opset 13 (ReduceSum) or 18 (the others) they are the
// 'axes' attribute; after, the optional second input, with noop_with_empty_axes saying whether
// an empty list means "all axes" or "none". Shape inference and the kernels share this.
#pragma once

#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace kiln {

struct ReduceAxes {
  bool known = false;         // false while the axes input's value is unknown
  std::vector<bool> reduced;  // per input axis, when known
  bool noop = false;          // empty axes with noop_with_empty_axes: the output is the input
};

// True when this node's opset takes the axes as an input.
bool reduce_axes_from_input(const Node& node);

// `axes_input` is the second input's value (null when absent or not known yet); `axes_input_given`
// says whether the node has that input at all. Errors for out-of-range or repeated axes.
Expected<ReduceAxes> resolve_reduce_axes(const Node& node, int rank, bool axes_input_given, const Tensor* axes_input);

}  // namespace kiln
