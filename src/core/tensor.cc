#include "core/tensor.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

namespace kiln {

namespace {
constexpr size_t kAlignment = 64;

std::shared_ptr<void> allocate_aligned(size_t bytes) {
  const size_t rounded = ((bytes + kAlignment - 1) / kAlignment) * kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, rounded == 0 ? kAlignment : rounded);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}
}  // namespace

int64_t checked_numel(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return -1;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) return -1;
    n *= d;
  }
  return n;
}

std::string dims_to_string(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

Tensor::Tensor(DataType dtype, std::vector<int64_t> dims)
    : dtype_(dtype), dims_(std::move(dims)), numel_(checked_numel(dims_)) {
  if (numel_ < 0) numel_ = 0;  // callers validate dims before allocating
  owner_ = allocate_aligned(nbytes());
  data_ = owner_.get();
}

Tensor Tensor::wrap(DataType dtype, std::vector<int64_t> dims, void* data,
                    std::shared_ptr<void> owner) {
  Tensor t;
  t.dtype_ = dtype;
  t.dims_ = std::move(dims);
  t.numel_ = checked_numel(t.dims_);
  if (t.numel_ < 0) t.numel_ = 0;
  t.owner_ = std::move(owner);
  t.data_ = data;
  return t;
}

Tensor Tensor::reshaped(std::vector<int64_t> dims) const {
  Tensor t = *this;
  t.dims_ = std::move(dims);
  t.numel_ = checked_numel(t.dims_);
  return t;
}

Tensor Tensor::bitcast(DataType dtype) const {
  Tensor t = *this;
  if (data_type_size(dtype) == data_type_size(dtype_)) t.dtype_ = dtype;
  return t;
}

Tensor Tensor::clone() const {
  Tensor t(dtype_, dims_);
  if (nbytes() > 0) std::memcpy(t.data_, data_, nbytes());
  return t;
}

}  // namespace kiln
