#include "ir/ops/window_geometry.h"

#include <algorithm>
#include <string>

namespace kiln {

namespace {

// An optional per-axis attribute: `fallback` for every axis when absent, else one positive
// value per axis.
Expected<std::vector<int64_t>> per_axis(const Node& node, const std::string& name, size_t num_axes,
                                        int64_t fallback) {
  if (!node.has_attr(name)) return std::vector<int64_t>(num_axes, fallback);
  std::vector<int64_t> v = node.attr_ints(name);
  if (v.size() != num_axes)
    return invalid_argument("'{}' has {} values but the kernel has {} spatial axes", name, v.size(), num_axes);
  for (int64_t x : v)
    if (x < 1) return invalid_argument("'{}' values must be positive, got {}", name, x);
  return v;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

Expected<std::vector<WindowAxis>> read_window_attrs(const Node& node, const std::vector<int64_t>& kernel) {
  const size_t n = kernel.size();
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> strides, per_axis(node, "strides", n, 1));
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> dilations, per_axis(node, "dilations", n, 1));
  std::vector<int64_t> pads = node.attr_ints("pads", std::vector<int64_t>(2 * n, 0));
  if (pads.size() != 2 * n)
    return invalid_argument("'pads' has {} values but needs 2 per spatial axis ({})", pads.size(), 2 * n);
  std::vector<WindowAxis> axes(n);
  for (size_t i = 0; i < n; ++i) {
    if (kernel[i] < 1) return invalid_argument("'kernel_shape' values must be positive, got {}", kernel[i]);
    if (pads[i] < 0 || pads[i + n] < 0) return invalid_argument("'pads' values must not be negative");
    axes[i].kernel = kernel[i];
    axes[i].stride = strides[i];
    axes[i].dilation = dilations[i];
    axes[i].pad_begin = pads[i];
    axes[i].pad_end = pads[i + n];
  }
  return axes;
}

Status resolve_pooled_sizes(const Node& node, const std::vector<int64_t>& input_spatial,
                            std::vector<WindowAxis>& axes) {
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  if (!same && auto_pad != "NOTSET" && auto_pad != "VALID")
    return invalid_argument("'auto_pad' must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got '{}'", auto_pad);
  const bool ceil_mode = node.attr_int("ceil_mode", 0) != 0;
  for (size_t i = 0; i < axes.size(); ++i) {
    WindowAxis& a = axes[i];
    a.input = input_spatial[i];
    if (auto_pad == "VALID") a.pad_begin = a.pad_end = 0;
    if (a.input < 0) {
      a.output = -1;
      continue;
    }
    if (same) {
      // Output covers every stride step; the padding needed is split evenly, the odd one going
      // to the end (SAME_UPPER) or the beginning (SAME_LOWER).
      a.output = ceil_div(a.input, a.stride);
      const int64_t total = std::max<int64_t>(0, (a.output - 1) * a.stride + a.span() - a.input);
      const int64_t small_half = total / 2;
      a.pad_begin = auto_pad == "SAME_UPPER" ? small_half : total - small_half;
      a.pad_end = total - a.pad_begin;
      continue;
    }
    const int64_t room = a.input + a.pad_begin + a.pad_end - a.span();
    if (room < 0)
      return invalid_argument("the window (kernel {}, dilation {}) is larger than the padded input ({}) on spatial axis {}",
                              a.kernel, a.dilation, a.input + a.pad_begin + a.pad_end, i);
    a.output = (ceil_mode ? ceil_div(room, a.stride) : room / a.stride) + 1;
    // With ceil_mode, a last window that would start inside the end padding sees no input at
    // all; like PyTorch (whose models carry ceil_mode), drop it.
    if (ceil_mode && (a.output - 1) * a.stride >= a.input + a.pad_begin) --a.output;
  }
  return Status::Ok();
}

}  // namespace kiln
