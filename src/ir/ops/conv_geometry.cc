#include "ir/ops/conv_geometry.h"

#include <algorithm>
#include <string>

namespace kiln {

namespace {

Status check_length(const std::string& name, const std::vector<int64_t>& v, size_t expected) {
  if (v.size() != expected)
    return invalid_argument("attribute '{}' has {} values, expected {} (one per spatial axis{})", name, v.size(),
                            expected, name == "pads" ? ", begins then ends" : "");
  return Status::Ok();
}

// Splits the padding SAME_* needs between begin and end; the odd one goes to the end for
// SAME_UPPER, to the beginning for SAME_LOWER.
void split_same_padding(int64_t total, bool upper, int64_t& begin, int64_t& end) {
  const int64_t smaller = total / 2;
  begin = upper ? smaller : total - smaller;
  end = total - begin;
}

}  // namespace

Expected<ConvGeometry> conv_geometry(const Node& node, const std::vector<int64_t>& input,
                                     const std::vector<int64_t>& weight_kernel, bool transposed) {
  const size_t rank = input.size();
  ConvGeometry g;
  g.input = input;
  g.kernel = node.has_attr("kernel_shape") ? node.attr_ints("kernel_shape") : weight_kernel;
  KILN_RETURN_IF_ERROR(check_length("kernel_shape", g.kernel, rank));
  for (size_t i = 0; i < rank; ++i) {
    if (g.kernel[i] == -1 || weight_kernel[i] == -1) continue;
    if (g.kernel[i] != weight_kernel[i])
      return invalid_argument("attribute 'kernel_shape' {} does not match the weights' spatial dims {}",
                              dims_to_string(g.kernel), dims_to_string(weight_kernel));
    if (g.kernel[i] <= 0) return invalid_argument("kernel dims must be positive, got {}", dims_to_string(g.kernel));
  }
  g.strides = node.attr_ints("strides", std::vector<int64_t>(rank, 1));
  g.dilations = node.attr_ints("dilations", std::vector<int64_t>(rank, 1));
  KILN_RETURN_IF_ERROR(check_length("strides", g.strides, rank));
  KILN_RETURN_IF_ERROR(check_length("dilations", g.dilations, rank));
  for (size_t i = 0; i < rank; ++i) {
    if (g.strides[i] <= 0) return invalid_argument("attribute 'strides' must be positive, got {}", dims_to_string(g.strides));
    if (g.dilations[i] <= 0)
      return invalid_argument("attribute 'dilations' must be positive, got {}", dims_to_string(g.dilations));
  }
  const std::vector<int64_t> pads = node.attr_ints("pads", std::vector<int64_t>(2 * rank, 0));
  KILN_RETURN_IF_ERROR(check_length("pads", pads, 2 * rank));
  for (int64_t p : pads)
    if (p < 0) return invalid_argument("attribute 'pads' must be non-negative, got {}", dims_to_string(pads));
  g.pads_begin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(rank));
  g.pads_end.assign(pads.begin() + static_cast<std::ptrdiff_t>(rank), pads.end());
  g.output_padding = transposed ? node.attr_ints("output_padding", std::vector<int64_t>(rank, 0))
                                : std::vector<int64_t>(rank, 0);
  KILN_RETURN_IF_ERROR(check_length("output_padding", g.output_padding, rank));

  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER")
    return invalid_argument("attribute 'auto_pad' must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, got '{}'", auto_pad);
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  const bool upper = auto_pad == "SAME_UPPER";

  // ConvTranspose's output_shape fixes the output size; the pads follow from it.
  std::vector<int64_t> requested_output;
  if (transposed && node.has_attr("output_shape")) {
    requested_output = node.attr_ints("output_shape");
    if (requested_output.size() == rank + 2)  // some exporters write the full shape
      requested_output.erase(requested_output.begin(), requested_output.begin() + 2);
    KILN_RETURN_IF_ERROR(check_length("output_shape", requested_output, rank));
  }

  g.output.assign(rank, -1);
  for (size_t i = 0; i < rank; ++i) {
    if (g.output_padding[i] < 0 || (g.output_padding[i] >= g.strides[i] && g.output_padding[i] >= g.dilations[i]))
      return invalid_argument("attribute 'output_padding' {} must be smaller than the stride or the dilation",
                              dims_to_string(g.output_padding));
    if (auto_pad == "VALID") g.pads_begin[i] = g.pads_end[i] = 0;
    if (input[i] < 0 || g.kernel[i] < 0) {
      if (!requested_output.empty()) g.output[i] = requested_output[i];
      continue;
    }
    const int64_t extent = (g.kernel[i] - 1) * g.dilations[i] + 1;
    if (transposed) {
      const int64_t full = g.strides[i] * (input[i] - 1) + g.output_padding[i] + extent;
      if (!requested_output.empty() || same) {
        const int64_t out = requested_output.empty() ? input[i] * g.strides[i] : requested_output[i];
        // May be negative: an output larger than the full result is zero beyond it.
        const int64_t total = full - out;
        // As the conformance data has it: the smaller half (rounded toward zero) goes first,
        // except for SAME_LOWER, which mirrors that.
        split_same_padding(total, auto_pad != "SAME_LOWER", g.pads_begin[i], g.pads_end[i]);
        g.output[i] = out;
      } else {
        g.output[i] = full - g.pads_begin[i] - g.pads_end[i];
      }
    } else {
      if (same) {
        g.output[i] = (input[i] + g.strides[i] - 1) / g.strides[i];
        const int64_t total = std::max<int64_t>(0, (g.output[i] - 1) * g.strides[i] + extent - input[i]);
        split_same_padding(total, upper, g.pads_begin[i], g.pads_end[i]);
      } else {
        const int64_t padded = input[i] + g.pads_begin[i] + g.pads_end[i];
        g.output[i] = padded < extent ? 0 : (padded - extent) / g.strides[i] + 1;
      }
    }
    if (g.output[i] <= 0)
      return invalid_argument("spatial axis {} would have output size {} (input {}, kernel extent {}, pads {}+{})", i,
                              g.output[i], input[i], extent, g.pads_begin[i], g.pads_end[i]);
  }
  return g;
}

}  // namespace kiln
