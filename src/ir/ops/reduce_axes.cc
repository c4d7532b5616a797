#include "ir/ops/reduce_axes.h"

#include "ir/ops/infer_utils.h"

namespace kiln {

bool reduce_axes_from_input(const Node& node) {
  return node.opset() >= (node.op_type() == "ReduceSum" ? 13 : 18);
}

Expected<ReduceAxes> resolve_reduce_axes(const Node& node, int rank, bool axes_input_given, const Tensor* axes_input) {
  ReduceAxes out;
  std::vector<int64_t> axes;
  if (reduce_axes_from_input(node)) {
    if (node.has_attr("axes"))
      return invalid_argument("'axes' is an input from opset {} on, not an attribute", node.opset());
    if (axes_input_given) {
      if (axes_input == nullptr) return out;  // known only at run time
      KILN_ASSIGN_OR_RETURN(axes, tensor_to_int64s(*axes_input));
    }
    if (axes.empty() && node.attr_int("noop_with_empty_axes", 0) != 0) {
      out.known = true;
      out.noop = true;
      out.reduced.assign(static_cast<size_t>(rank), false);
      return out;
    }
  } else {
    if (axes_input_given) return invalid_argument("takes no axes input before opset {}", node.op_type() == "ReduceSum" ? 13 : 18);
    axes = node.attr_ints("axes");
  }
  out.known = true;
  out.reduced.assign(static_cast<size_t>(rank), axes.empty());
  for (int64_t a : axes) {
    KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(a, rank));
    if (out.reduced[static_cast<size_t>(axis)]) return invalid_argument("axis {} is listed twice in 'axes'", a);
    out.reduced[static_cast<size_t>(axis)] = true;
  }
  return out;
}

}  // namespace kiln
