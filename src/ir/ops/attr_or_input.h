// Integer lists that ONNX moved from attributes to inputs at some opset (Squeeze/Unsqueeze axes and
// Split's split at 13, Pad's pads at 11, TopK's k at 10). Shape inference and kernels read them
// through one function so both agree on what was given.
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace kiln {

struct IntList {
  bool given = false;  // the node has the attribute / the input
  bool known = false;  // its values are known (always for attributes)
  std::vector<int64_t> values;
};

// Reads attribute `attr` when node.opset() < first_input_opset, otherwise the input whose presence
// is `input_present` and whose value is `input_value` (null when not known).
Expected<IntList> int_list_attr_or_input(const Node& node, const char* attr, int first_input_opset,
                                         bool input_present, const Tensor* input_value);

}  // namespace kiln
