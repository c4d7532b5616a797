// Data movement shared by the tensor kernels. Most of them (Transpose, Slice, Expand, Tile,
// DepthToSpace, ...) only read the input through a strided view; they describe the view and let
// copy_strided do the walking, on raw bytes so one path serves every data type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"

namespace kiln {

// Row-major element strides of dims.
std::vector<int64_t> row_major_strides(const std::vector<int64_t>& dims);

// Writes, in row-major order into `dst` (contiguous, of src's element type, dims' element count),
// src[offset + sum_k index_k * strides[k]] for every index of `dims`. Strides are in elements
// and may be 0 (broadcast) or negative (reversed); the caller keeps every read in bounds.
void copy_strided(const Tensor& src, int64_t offset, const std::vector<int64_t>& dims,
                  const std::vector<int64_t>& strides, Tensor& dst);

// Copies all of src's bytes into dst, which has src's type and element count (ops that only
// change dims: Reshape, Squeeze, inference-time Dropout, ...).
Status copy_all(const Tensor& src, Tensor& dst);

// Sets `count` elements of `elem_size` bytes at `dst` to the element at `value`.
void fill_elements(void* dst, int64_t count, const void* value, size_t elem_size);

}  // namespace kiln
