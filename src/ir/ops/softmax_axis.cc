#include "ir/ops/softmax_axis.h"

#include "ir/ops/infer_utils.h"

namespace kiln {

Expected<int> softmax_axis(const Node& node, int rank) {
  return normalize_axis(node.attr_int("axis", node.opset() < 13 ? 1 : -1), rank);
}

Expected<SoftmaxSpan> softmax_span(const Node& node, const std::vector<int64_t>& dims) {
  const int rank = static_cast<int>(dims.size());
  KILN_ASSIGN_OR_RETURN(int axis, softmax_axis(node, rank));
  SoftmaxSpan s;
  for (int i = 0; i < rank; ++i) {
    const int64_t d = dims[static_cast<size_t>(i)];
    if (i < axis) s.outer *= d;
    else if (i == axis || node.opset() < 13) s.n *= d;
    else s.inner *= d;
  }
  return s;
}

}  // namespace kiln
