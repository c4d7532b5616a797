// Gather, GatherElements, GatherND read data at indices; Scatter(Elements), ScatterND write
// updates at indices, optionally reducing into what is there. Every index is validated
// (index_utils.h) before use.
#include <cstring>

#include "backends/reference/index_utils.h"
#include "backends/reference/compute_type.h"
#include "backends/reference/axis_view.h"
#include "backends/reference/kernel.h"
#include "backends/reference/strided_copy.h"
#include "core/dispatch.h"
#include "core/thread_pool.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

int64_t product(const std::vector<int64_t>& dims, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= dims[i];
  return p;
}

// Calls fn(linear, offset) for each index of `dims` in row-major order, where offset is the index
// dotted with `strides`, except along `skip_axis`, whose coordinate the caller supplies itself.
template <class Fn>
void for_each_offset(const std::vector<int64_t>& dims, const std::vector<int64_t>& strides, int skip_axis, Fn fn) {
  const int64_t n = checked_numel(dims);
  std::vector<int64_t> index(dims.size(), 0);
  int64_t offset = 0;
  for (int64_t linear = 0; linear < n; ++linear) {
    fn(linear, offset);
    for (size_t k = dims.size(); k-- > 0;) {
      const int64_t s = static_cast<int>(k) == skip_axis ? 0 : strides[k];
      offset += s;
      if (++index[k] < dims[k]) break;
      offset -= s * dims[k];
      index[k] = 0;
    }
  }
}

Status gather(KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(ctx.node().attr_int("axis"), data.rank()));
  const int64_t bound = data.dim(axis);
  KILN_ASSIGN_OR_RETURN(auto idx, read_wrapped_indices(ctx.input(1), bound, "input 'indices'"));
  const AxisView v = axis_view(data.dims(), axis);
  const int64_t outer = v.outer;
  const auto block = static_cast<size_t>(v.inner) * data_type_size(data.dtype());
  const auto n_idx = static_cast<int64_t>(idx.size());
  const auto* src = static_cast<const uint8_t*>(data.raw());
  auto* dst = static_cast<uint8_t*>(ctx.output(0).raw());
  parallel_for(outer * n_idx, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t o = i / n_idx;
      const int64_t j = i % n_idx;
      std::memcpy(dst + static_cast<size_t>(i) * block, src + static_cast<size_t>(o * bound + idx[static_cast<size_t>(j)]) * block, block);
    }
  });
  return Status::Ok();
}

Status gather_elements(KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(ctx.node().attr_int("axis"), data.rank()));
  KILN_ASSIGN_OR_RETURN(auto idx, read_wrapped_indices(indices, data.dim(axis), "input 'indices'"));
  const std::vector<int64_t> strides = row_major_strides(data.dims());
  const size_t elem = data_type_size(data.dtype());
  const auto* src = static_cast<const uint8_t*>(data.raw());
  auto* dst = static_cast<uint8_t*>(ctx.output(0).raw());
  for_each_offset(indices.dims(), strides, axis, [&](int64_t i, int64_t offset) {
    const int64_t at = offset + idx[static_cast<size_t>(i)] * strides[static_cast<size_t>(axis)];
    std::memcpy(dst + static_cast<size_t>(i) * elem, src + static_cast<size_t>(at) * elem, elem);
  });
  return Status::Ok();
}

// GatherND and ScatterND address `data` with tuples of k indices (the last dim of `indices`),
// each tuple naming a slice of data's trailing dims. This turns every tuple into the element
// offset of its slice; `batch_dims` leading dims are shared by data and indices.
Expected<std::vector<int64_t>> tuple_offsets(const Tensor& data, const Tensor& indices, int batch_dims) {
  const int q = indices.rank();
  const int64_t k = indices.dim(q - 1);
  for (int d = 0; d < batch_dims; ++d)
    if (data.dim(d) != indices.dim(d))
      return invalid_argument("batch dim {} of 'data' ({}) and 'indices' ({}) differ", d, data.dim(d), indices.dim(d));
  auto raw = tensor_to_int64s(indices);
  if (!raw.ok()) return invalid_argument("input 'indices': {}", raw.status().message());
  const std::vector<int64_t> strides = row_major_strides(data.dims());
  const int64_t tuples = indices.numel() / std::max<int64_t>(k, 1);
  const int64_t tuples_per_batch = tuples / std::max<int64_t>(product(indices.dims(), 0, static_cast<size_t>(batch_dims)), 1);
  const int64_t batch_stride = batch_dims > 0 ? strides[static_cast<size_t>(batch_dims - 1)] : 0;
  std::vector<int64_t> offsets(static_cast<size_t>(tuples));
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = tuples_per_batch > 0 ? (t / tuples_per_batch) * batch_stride : 0;
    for (int64_t j = 0; j < k; ++j) {
      const auto axis = static_cast<size_t>(batch_dims + j);
      KILN_ASSIGN_OR_RETURN(int64_t i, wrap_index((*raw)[static_cast<size_t>(t * k + j)], data.dims()[axis], "input 'indices'"));
      off += i * strides[axis];
    }
    offsets[static_cast<size_t>(t)] = off;
  }
  return offsets;
}

Status gather_nd(KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const int b = static_cast<int>(ctx.node().attr_int("batch_dims"));
  KILN_ASSIGN_OR_RETURN(auto offsets, tuple_offsets(data, indices, b));
  const int64_t k = indices.dim(indices.rank() - 1);
  const size_t elem = data_type_size(data.dtype());
  const auto slice = static_cast<size_t>(product(data.dims(), static_cast<size_t>(b + k), data.dims().size())) * elem;
  const auto* src = static_cast<const uint8_t*>(data.raw());
  auto* dst = static_cast<uint8_t*>(ctx.output(0).raw());
  for (size_t t = 0; t < offsets.size(); ++t) std::memcpy(dst + t * slice, src + static_cast<size_t>(offsets[t]) * elem, slice);
  return Status::Ok();
}

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

Reduction reduction_of(const Node& node) {
  const std::string r = node.attr_string("reduction", "none");
  if (r == "add") return Reduction::kAdd;
  if (r == "mul") return Reduction::kMul;
  if (r == "max") return Reduction::kMax;
  if (r == "min") return Reduction::kMin;
  return Reduction::kNone;
}

// Writes `update` into `target` as the reduction says; 16-bit floats are combined in float.
template <class T>
void combine(T& target, T update, Reduction r) {
  using C = ComputeType<T>;
  const C a = static_cast<C>(target), b = static_cast<C>(update);
  switch (r) {
    case Reduction::kNone: target = update; return;
    case Reduction::kAdd: target = static_cast<T>(a + b); return;
    case Reduction::kMul: target = static_cast<T>(a * b); return;
    case Reduction::kMax: target = static_cast<T>(a < b ? b : a); return;
    case Reduction::kMin: target = static_cast<T>(b < a ? b : a); return;
  }
}

Status scatter_elements(KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const Tensor& updates = ctx.input(2);
  Tensor& out = ctx.output(0);
  KILN_RETURN_IF_ERROR(copy_all(data, out));
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(ctx.node().attr_int("axis"), data.rank()));
  KILN_ASSIGN_OR_RETURN(auto idx, read_wrapped_indices(indices, data.dim(axis), "input 'indices'"));
  const std::vector<int64_t> strides = row_major_strides(data.dims());
  const Reduction red = reduction_of(ctx.node());
  return KILN_DISPATCH_ALL(data.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    const T* u = updates.data<T>();
    for_each_offset(indices.dims(), strides, axis, [&](int64_t i, int64_t offset) {
      const int64_t at = offset + idx[static_cast<size_t>(i)] * strides[static_cast<size_t>(axis)];
      combine(o[at], u[i], red);
    });
    return Status::Ok();
  });
}

Status scatter_nd(KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const Tensor& updates = ctx.input(2);
  Tensor& out = ctx.output(0);
  KILN_RETURN_IF_ERROR(copy_all(data, out));
  KILN_ASSIGN_OR_RETURN(auto offsets, tuple_offsets(data, indices, 0));
  const int64_t k = indices.dim(indices.rank() - 1);
  const int64_t slice = product(data.dims(), static_cast<size_t>(k), data.dims().size());
  const Reduction red = reduction_of(ctx.node());
  return KILN_DISPATCH_ALL(data.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    const T* u = updates.data<T>();
    for (size_t t = 0; t < offsets.size(); ++t)
      for (int64_t e = 0; e < slice; ++e) combine(o[offsets[t] + e], u[static_cast<int64_t>(t) * slice + e], red);
    return Status::Ok();
  });
}

}  // namespace

void register_gather_scatter_kernels(KernelRegistry& r) {
  r.add("Gather", gather);
  r.add("GatherElements", gather_elements);
  r.add("GatherND", gather_nd);
  r.add("ScatterElements", scatter_elements);
  r.add("Scatter", scatter_elements);
  r.add("ScatterND", scatter_nd);
}

}  // namespace kiln
