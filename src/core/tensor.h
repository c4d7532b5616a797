// A dense, row-major host tensor. Storage is shared (copies of a Tensor alias the same bytes),
// 64-byte aligned, and may belong to someone else (an mmapped weight file, a user buffer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kiln/data_type.h"

namespace kiln {

class Tensor {
 public:
  Tensor() = default;
  // Allocates zero-filled storage for dims.
  Tensor(DataType dtype, std::vector<int64_t> dims);
  // Borrows data; `owner` keeps it alive (may be null when the caller guarantees lifetime).
  static Tensor wrap(DataType dtype, std::vector<int64_t> dims, void* data,
                     std::shared_ptr<void> owner);

  bool defined() const { return dtype_ != DataType::kUndefined; }
  DataType dtype() const { return dtype_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t dim(int i) const { return dims_[static_cast<size_t>(i)]; }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * data_type_size(dtype_); }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  template <class T>
  T* data() { return static_cast<T*>(data_); }
  template <class T>
  const T* data() const { return static_cast<const T*>(data_); }

  // Same bytes, other dims (numel must match; checked by the caller).
  Tensor reshaped(std::vector<int64_t> dims) const;
  // Same bytes and dims read as another type of the same element size (shares storage).
  Tensor bitcast(DataType dtype) const;
  // A deep copy with its own storage.
  Tensor clone() const;

 private:
  DataType dtype_ = DataType::kUndefined;
  std::vector<int64_t> dims_;
  int64_t numel_ = 0;
  std::shared_ptr<void> owner_;
  void* data_ = nullptr;
};

// Product of dims (1 for a scalar). Returns -1 if any dim is negative or the product overflows.
int64_t checked_numel(const std::vector<int64_t>& dims);
// "[1, 3, 224, 224]"
std::string dims_to_string(const std::vector<int64_t>& dims);

}  // namespace kiln
