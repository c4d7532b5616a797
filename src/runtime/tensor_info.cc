#include "runtime/tensor_info.h"

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

}  // namespace kiln
