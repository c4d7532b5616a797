#include "backends/cuda/kernels/reduce/plan_provider.h"

#include <algorithm>

#include "ir/ops/infer_utils.h"

namespace kiln::cuda::reduce {

std::string_view dtype_tag(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat32: return "fp32";
    case DataType::kFloat16: return "fp16";
    case DataType::kBFloat16: return "bf16";
    case DataType::kFloat64: return "fp64";
    case DataType::kInt32: return "i32";
    case DataType::kInt64: return "i64";
    default: return data_type_name(dtype);
  }
}

Status check_op(const LayerSpec& spec, std::initializer_list<std::string_view> ops, bool channels_last_ok) {
  const Node& op = *spec.op;
  if (!op.domain().empty() || std::find(ops.begin(), ops.end(), op.op_type()) == ops.end())
    return unsupported("not an op of this provider: {}", op.op_type());
  if (spec.channels_last && !channels_last_ok) return unsupported("{} in channels-last layout", op.op_type());
  if (spec.inputs.empty() || !spec.inputs[0].has_value() || spec.outputs.empty())
    return invalid_argument("{} without its first input or output", op.op_type());
  return Status::Ok();
}

Status check_dtype(DataType dtype, std::initializer_list<DataType> allowed, std::string_view what) {
  if (std::find(allowed.begin(), allowed.end(), dtype) == allowed.end())
    return unsupported("{} of type {}", what, data_type_name(dtype));
  return Status::Ok();
}

AxisSplit split_at_axis(const std::vector<int64_t>& dims, int axis) {
  AxisSplit s;
  for (size_t i = 0; i < dims.size(); ++i) {
    const auto d = static_cast<uint32_t>(dims[i]);
    if (static_cast<int>(i) < axis) s.outer *= d;
    else if (static_cast<int>(i) == axis) s.n = d;
    else s.inner *= d;
  }
  return s;
}

Expected<std::vector<int64_t>> constant_ints(const LayerSpec& spec, size_t i, std::string_view name) {
  if (!spec.has_input(i)) return invalid_argument("input '{}' is absent", name);
  const Tensor* t = spec.inputs[i]->host_constant;
  if (t == nullptr) return unsupported("input '{}' is not a constant", name);
  return tensor_to_int64s(*t);
}

}  // namespace kiln::cuda::reduce
