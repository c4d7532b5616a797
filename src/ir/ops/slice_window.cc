#include "ir/ops/slice_window.h"

#include <algorithm>

#include "ir/ops/infer_utils.h"

namespace kiln {

SliceWindow clamp_slice(int64_t start, int64_t end, int64_t step, int64_t dim) {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  SliceWindow w;
  w.step = step;
  if (dim == 0) return w;  // nothing to take (and the clamp ranges below would be empty)
  if (step > 0) {
    w.start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    w.count = end > w.start ? (end - w.start + step - 1) / step : 0;
  } else {
    w.start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    w.count = w.start > end ? (w.start - end - step - 1) / -step : 0;
  }
  return w;
}

namespace {

Expected<std::vector<int64_t>> list_from(const Node& node, const Tensor* input, const char* name) {
  if (node.opset() < 10) return node.attr_ints(name);
  if (input == nullptr) return std::vector<int64_t>{};
  auto v = tensor_to_int64s(*input);
  if (!v.ok()) return invalid_argument("input '{}': {}", name, v.status().message());
  return v;
}

}  // namespace

Expected<SliceArgs> read_slice_args(const Node& node, const std::vector<const Tensor*>& inputs, int rank) {
  auto input = [&](size_t i) { return i < inputs.size() ? inputs[i] : nullptr; };
  SliceArgs args;
  KILN_ASSIGN_OR_RETURN(args.starts, list_from(node, input(0), "starts"));
  KILN_ASSIGN_OR_RETURN(args.ends, list_from(node, input(1), "ends"));
  KILN_ASSIGN_OR_RETURN(auto axes, list_from(node, input(2), "axes"));
  KILN_ASSIGN_OR_RETURN(args.steps, list_from(node, input(3), "steps"));
  const size_t n = args.starts.size();
  if (args.ends.size() != n)
    return invalid_argument("'starts' has {} entries but 'ends' has {}", n, args.ends.size());
  if (axes.empty() && !(node.opset() >= 10 && input(2) != nullptr))
    for (size_t i = 0; i < n; ++i) axes.push_back(static_cast<int64_t>(i));
  if (args.steps.empty() && !(node.opset() >= 10 && input(3) != nullptr)) args.steps.assign(n, 1);
  if (axes.size() != n) return invalid_argument("'axes' has {} entries for {} starts", axes.size(), n);
  if (args.steps.size() != n) return invalid_argument("'steps' has {} entries for {} starts", args.steps.size(), n);
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (size_t i = 0; i < n; ++i) {
    auto a = normalize_axis(axes[i], rank);
    if (!a.ok()) return invalid_argument("'axes': {}", a.status().message());
    if (seen[static_cast<size_t>(*a)]) return invalid_argument("'axes': axis {} is repeated", axes[i]);
    seen[static_cast<size_t>(*a)] = true;
    if (args.steps[i] == 0) return invalid_argument("'steps' must not be 0");
    args.axes.push_back(*a);
  }
  return args;
}

}  // namespace kiln
