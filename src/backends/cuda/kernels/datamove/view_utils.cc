#include "backends/cuda/kernels/datamove/view_utils.h"

#include <cstdlib>

#include "backends/cuda/cuda_check.h"
#include "ir/ops/infer_utils.h"

namespace kiln::cuda::datamove {

Expected<StridedView> merged_view(std::vector<int64_t> dims, std::vector<int64_t> strides, int64_t offset) {
  if (element_count(dims) == 0) return StridedView{};  // nothing is copied
  std::vector<int64_t> d, s;  // kept dims, outermost first
  for (size_t k = 0; k < dims.size(); ++k) {
    if (dims[k] == 1) continue;
    if (!d.empty() && s.back() == strides[k] * dims[k]) {
      d.back() *= dims[k];
      s.back() = strides[k];
    } else {
      d.push_back(dims[k]);
      s.push_back(strides[k]);
    }
  }
  KILN_ASSIGN_OR_RETURN(StridedView v, exact_view(d, s));
  v.offset = offset;
  return v;
}

Expected<StridedView> exact_view(const std::vector<int64_t>& dims, const std::vector<int64_t>& strides) {
  if (dims.size() > static_cast<size_t>(kMaxDims))
    return unsupported("needs {} dims of index math, the CUDA data-movement kernels handle {}", dims.size(), kMaxDims);
  StridedView v;
  v.rank = static_cast<int>(dims.size());
  for (size_t k = 0; k < dims.size(); ++k) {
    v.dims[k] = dims[k];
    v.strides[k] = strides[k];
  }
  return v;
}

Expected<StridedView> permuted_view(const std::vector<int64_t>& dims, const std::vector<int64_t>& perm) {
  std::vector<int64_t> in_strides(dims.size(), 1);
  for (size_t k = dims.size(); k-- > 1;) in_strides[k - 1] = in_strides[k] * dims[k];
  std::vector<int64_t> out_dims, strides;
  for (int64_t p : perm) {
    out_dims.push_back(dims[static_cast<size_t>(p)]);
    strides.push_back(in_strides[static_cast<size_t>(p)]);
  }
  return merged_view(out_dims, strides);
}

std::optional<BatchedSwap> batched_swap(const std::vector<int64_t>& dims, const std::vector<int64_t>& perm) {
  auto view = permuted_view(dims, perm);
  if (!view.ok()) return std::nullopt;
  // The merged view of output dims [batch?, cols, rows] reads the input [batch?, rows, cols].
  const StridedView& v = *view;
  if (v.rank == 2 && v.strides[0] == 1 && v.strides[1] == v.dims[0]) return BatchedSwap{1, v.dims[1], v.dims[0]};
  if (v.rank == 3 && v.strides[1] == 1 && v.strides[2] == v.dims[1] && v.strides[0] == v.dims[1] * v.dims[2])
    return BatchedSwap{v.dims[0], v.dims[2], v.dims[1]};
  return std::nullopt;
}

int widest_word(int elem_bytes, const std::vector<uint64_t>& values) {
  for (int w = 8; w > elem_bytes; w /= 2) {
    bool divides = true;
    for (uint64_t v : values) divides = divides && v % static_cast<uint64_t>(w) == 0;
    if (divides) return w;
  }
  return elem_bytes;
}

int64_t widen(StridedView& view, int elem_bytes, const void* src, const void* dst) {
  if (view.rank == 0 || view.strides[view.rank - 1] != 1) return 1;
  const auto es = static_cast<uint64_t>(elem_bytes);
  std::vector<uint64_t> values = {static_cast<uint64_t>(view.dims[view.rank - 1]) * es,
                                  static_cast<uint64_t>(std::llabs(view.offset)) * es,
                                  reinterpret_cast<uintptr_t>(src), reinterpret_cast<uintptr_t>(dst)};
  for (int k = 0; k + 1 < view.rank; ++k) values.push_back(static_cast<uint64_t>(std::llabs(view.strides[k])) * es);
  const int64_t f = widest_word(elem_bytes, values) / elem_bytes;
  if (f == 1) return 1;
  view.dims[view.rank - 1] /= f;
  for (int k = 0; k + 1 < view.rank; ++k) view.strides[k] /= f;
  view.offset /= f;
  return f;
}

Status check_payload(DataType dtype, std::string_view what) {
  const size_t size = data_type_size(dtype);
  if (size != 1 && size != 2 && size != 4 && size != 8)
    return unsupported("{} has the type {}; the CUDA data-movement kernels move 1-, 2-, 4- or 8-byte elements", what,
                       data_type_name(dtype));
  return Status::Ok();
}

Expected<const Tensor*> optional_constant(const LayerSpec& spec, size_t input, std::string_view name) {
  if (!spec.has_input(input)) return static_cast<const Tensor*>(nullptr);
  const Tensor* t = spec.inputs[input]->host_constant;
  if (t == nullptr) return unsupported("{} input '{}' is not a constant", spec.op->op_type(), name);
  return t;
}

Expected<std::vector<int64_t>> constant_ints(const LayerSpec& spec, size_t input, std::string_view name) {
  KILN_ASSIGN_OR_RETURN(const Tensor* t, optional_constant(spec, input, name));
  if (t == nullptr) return invalid_argument("{} input '{}' is missing", spec.op->op_type(), name);
  auto v = tensor_to_int64s(*t);
  if (!v.ok()) return invalid_argument("{} input '{}': {}", spec.op->op_type(), name, v.status().message());
  return v;
}

int64_t element_count(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

}  // namespace kiln::cuda::datamove
