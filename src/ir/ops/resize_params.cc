#include "ir/ops/resize_params.h"

#include <cmath>

#include "ir/ops/infer_utils.h"

namespace kiln {

ResizeInputs resize_inputs(const Node& node) {
  if (node.op_type() == "Upsample") return {-1, node.opset() >= 9 ? 1 : -1, -1};
  if (node.opset() < 11) return {-1, 1, -1};
  return {1, 2, 3};
}

namespace {

bool one_of(const std::string& v, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed)
    if (v == a) return true;
  return false;
}

const Tensor* nonempty(const std::vector<const Tensor*>& inputs, int i) {
  if (i < 0 || i >= static_cast<int>(inputs.size()) || inputs[static_cast<size_t>(i)] == nullptr) return nullptr;
  return inputs[static_cast<size_t>(i)]->numel() == 0 ? nullptr : inputs[static_cast<size_t>(i)];
}

}  // namespace

Expected<ResizeParams> read_resize_params(const Node& node, const std::vector<const Tensor*>& inputs, int rank) {
  ResizeParams p;
  p.mode = node.attr_string("mode", "nearest");
  if (!one_of(p.mode, {"nearest", "linear", "cubic"}))
    return invalid_argument("attribute 'mode' must be nearest, linear or cubic, got '{}'", p.mode);
  // Upsample and Resize-10 sample at x / scale and round nearest down.
  const bool legacy = node.op_type() == "Upsample" || node.opset() < 11;
  p.coordinate_mode = legacy ? "asymmetric" : node.attr_string("coordinate_transformation_mode", "half_pixel");
  p.nearest_mode = legacy ? "floor" : node.attr_string("nearest_mode", "round_prefer_floor");
  if (!one_of(p.coordinate_mode, {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                  "tf_half_pixel_for_nn", "tf_crop_and_resize"}))
    return invalid_argument("attribute 'coordinate_transformation_mode' '{}' is not known", p.coordinate_mode);
  if (!one_of(p.nearest_mode, {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}))
    return invalid_argument("attribute 'nearest_mode' '{}' is not known", p.nearest_mode);
  p.cubic_coeff_a = node.attr_float("cubic_coeff_a", -0.75f);
  p.exclude_outside = node.attr_int("exclude_outside", 0) != 0;
  p.extrapolation_value = node.attr_float("extrapolation_value", 0.f);

  const ResizeInputs in = resize_inputs(node);
  if (node.op_type() == "Upsample" && in.scales < 0) {
    for (float s : node.attr_floats("scales")) p.scales.push_back(s);
  } else if (const Tensor* scales = nonempty(inputs, in.scales)) {
    KILN_ASSIGN_OR_RETURN(p.scales, tensor_to_doubles(*scales));
  }
  if (const Tensor* sizes = nonempty(inputs, in.sizes)) {
    if (!p.scales.empty()) return invalid_argument("only one of 'scales' and 'sizes' may be given");
    auto v = tensor_to_int64s(*sizes);
    if (!v.ok()) return invalid_argument("input 'sizes': {}", v.status().message());
    p.sizes = std::move(*v);
    if (static_cast<int>(p.sizes.size()) != rank)
      return invalid_argument("input 'sizes' has {} entries for rank {}", p.sizes.size(), rank);
    for (int64_t s : p.sizes)
      if (s < 0) return invalid_argument("input 'sizes' has the negative size {}", s);
  } else {
    if (p.scales.empty()) return invalid_argument("one of 'scales' and 'sizes' must be given");
    if (static_cast<int>(p.scales.size()) != rank)
      return invalid_argument("'scales' has {} entries for rank {}", p.scales.size(), rank);
    for (double s : p.scales)
      if (!(s > 0) || !std::isfinite(s)) return invalid_argument("'scales' must be positive, got {}", s);
  }
  if (p.coordinate_mode == "tf_crop_and_resize") {
    const Tensor* roi = nonempty(inputs, in.roi);
    if (roi == nullptr) return invalid_argument("tf_crop_and_resize needs input 'roi'");
    KILN_ASSIGN_OR_RETURN(p.roi, tensor_to_doubles(*roi));
    if (static_cast<int>(p.roi.size()) != 2 * rank)
      return invalid_argument("input 'roi' has {} entries, expected 2 * rank = {}", p.roi.size(), 2 * rank);
  }
  return p;
}

Shape resize_output_shape(const ResizeParams& params, const Shape& in) {
  if (!params.sizes.empty()) return Shape::from_dims(params.sizes);
  Shape out = in;
  for (int i = 0; i < in.rank(); ++i)
    out[i] = in[i].is_static()
                 ? Dim(static_cast<int64_t>(std::floor(static_cast<double>(in[i].value) * params.scales[static_cast<size_t>(i)])))
                 : Dim();
  return out;
}

}  // namespace kiln
