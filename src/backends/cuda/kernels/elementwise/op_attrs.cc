#include "backends/cuda/kernels/elementwise/op_attrs.h"

#include <limits>

#include "core/error.h"

namespace kiln::cuda::elementwise {

Expected<kiln_device::OpAttrs> op_attrs(const Node& node) {
  kiln_device::OpAttrs a{0.f, 0.f, 0.f, 0};
  const std::string& op = node.op_type();
  if (op == "LeakyRelu" || op == "Elu" || op == "Celu" || op == "ThresholdedRelu") {
    a.alpha = node.attr_float("alpha");
  } else if (op == "Selu") {
    a.alpha = node.attr_float("alpha");
    a.gamma = node.attr_float("gamma");
  } else if (op == "HardSigmoid") {
    a.alpha = node.attr_float("alpha");
    a.beta = node.attr_float("beta");
  } else if (op == "Shrink") {
    a.alpha = node.attr_float("lambd");
    a.beta = node.attr_float("bias");
  } else if (op == "Gelu") {
    const std::string approximate = node.attr_string("approximate", "none");
    if (approximate != "none" && approximate != "tanh") return unsupported("Gelu approximate='{}'", approximate);
    if (approximate == "tanh") a.flags = kiln_device::kGeluTanh;
  } else if (op == "Mod") {
    if (node.attr_int("fmod") != 0) a.flags = kiln_device::kModFmod;
  } else if (op == "BitShift") {
    const std::string direction = node.attr_string("direction");
    if (direction != "LEFT" && direction != "RIGHT") return unsupported("BitShift direction='{}'", direction);
    if (direction == "LEFT") a.flags = kiln_device::kShiftLeft;
  } else if (op == "IsInf") {
    if (node.attr_int("detect_negative", 1) != 0) a.flags |= kiln_device::kDetectNegative;
    if (node.attr_int("detect_positive", 1) != 0) a.flags |= kiln_device::kDetectPositive;
  } else if (op == "Clip") {
    if (node.opset() < 11) {
      a.flags = kiln_device::kClipAttributeBounds;
      a.alpha = node.attr_float("min", std::numeric_limits<float>::lowest());
      a.beta = node.attr_float("max", std::numeric_limits<float>::max());
    } else {
      if (node.input(1) != nullptr) a.flags |= kiln_device::kClipMinInput;
      if (node.input(2) != nullptr) a.flags |= kiln_device::kClipMaxInput;
    }
  }
  return a;
}

std::string_view dtype_tag(DataType type) {
  switch (type) {
    case DataType::kFloat32: return "fp32";
    case DataType::kFloat16: return "fp16";
    case DataType::kBFloat16: return "bf16";
    case DataType::kFloat64: return "fp64";
    case DataType::kBool: return "bool";
    default: return data_type_name(type);
  }
}

}  // namespace kiln::cuda::elementwise
