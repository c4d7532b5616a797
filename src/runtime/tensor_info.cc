#include "runtime/tensor_info.h"

#include <cstring>

#include "core/error.h"
#include "runtime/cuda_backend.h"

namespace kiln {

TensorInfo tensor_info_of(const Value& v, TensorIOMode mode) {
  TensorInfo info;
  info.name = v.name();
  info.mode = mode;
  info.dtype = v.dtype();
  for (const Dim& d : v.shape().dims()) {
    info.dims.push_back(d.is_static() ? d.value : -1);
    info.dim_names.push_back(d.symbol);
  }
  return info;
}

std::vector<TensorInfo> graph_io_tensors(const Graph& g) {
  std::vector<TensorInfo> out;
  for (const Value* v : g.inputs()) out.push_back(tensor_info_of(*v, TensorIOMode::kInput));
  for (const Value* v : g.outputs()) out.push_back(tensor_info_of(*v, TensorIOMode::kOutput));
  return out;
}

Status copy_to_host(const TensorView& view, void* dst) {
  const int64_t n = checked_numel(view.dims);
  if (n < 0) return invalid_argument("invalid dims {}", dims_to_string(view.dims));
  const size_t bytes = static_cast<size_t>(n) * data_type_size(view.dtype);
  if (bytes == 0) return Status::Ok();
  if (view.data == nullptr) return invalid_argument("the view has no data");
  if (view.on_device) return copy_device_to_host(view.data, dst, bytes);
  std::memcpy(dst, view.data, bytes);
  return Status::Ok();
}

}  // namespace kiln
