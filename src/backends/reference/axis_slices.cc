#include "backends/reference/axis_slices.h"

#include <cstring>

namespace kiln {

namespace {

// Elements before `axis` (outer) and after it (inner) for row-major dims.
std::pair<int64_t, int64_t> outer_inner(const std::vector<int64_t>& dims, int axis) {
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= dims[static_cast<size_t>(i)];
  for (size_t i = static_cast<size_t>(axis) + 1; i < dims.size(); ++i) inner *= dims[i];
  return {outer, inner};
}

}  // namespace

std::vector<int64_t> dims_without_axis(std::vector<int64_t> dims, int axis) {
  dims.erase(dims.begin() + axis);
  return dims;
}

Tensor slice_at(const Tensor& t, int axis, int64_t index) {
  const int64_t extent = t.dim(axis);
  const auto [outer, inner] = outer_inner(t.dims(), axis);
  Tensor out(t.dtype(), dims_without_axis(t.dims(), axis));
  const size_t row = static_cast<size_t>(inner) * data_type_size(t.dtype());
  const auto* src = static_cast<const char*>(t.raw());
  auto* dst = static_cast<char*>(out.raw());
  for (int64_t o = 0; o < outer; ++o)
    std::memcpy(dst + static_cast<size_t>(o) * row, src + static_cast<size_t>(o * extent + index) * row, row);
  return out;
}

Expected<Tensor> stack_along_axis(const std::vector<Tensor>& parts, int axis, DataType dtype,
                                  const std::vector<int64_t>& empty_part_dims) {
  const std::vector<int64_t>& part_dims = parts.empty() ? empty_part_dims : parts[0].dims();
  if (axis < 0 || axis > static_cast<int>(part_dims.size()))
    return invalid_argument("stacking axis {} is out of range for parts of rank {}", axis, part_dims.size());
  for (size_t k = 0; k < parts.size(); ++k) {
    if (parts[k].dtype() != dtype)
      return invalid_argument("part {} is {}, expected {}", k, data_type_name(parts[k].dtype()), data_type_name(dtype));
    if (parts[k].dims() != part_dims)
      return invalid_argument("part {} has shape {} but part 0 has shape {}", k, dims_to_string(parts[k].dims()),
                              dims_to_string(part_dims));
  }
  std::vector<int64_t> dims = part_dims;
  const int64_t count = static_cast<int64_t>(parts.size());
  dims.insert(dims.begin() + axis, count);
  Tensor out(dtype, dims);
  const auto [outer, inner] = outer_inner(dims, axis);
  const size_t row = static_cast<size_t>(inner) * data_type_size(dtype);
  auto* dst = static_cast<char*>(out.raw());
  for (int64_t k = 0; k < count; ++k) {
    const auto* src = static_cast<const char*>(parts[static_cast<size_t>(k)].raw());
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(dst + static_cast<size_t>(o * count + k) * row, src + static_cast<size_t>(o) * row, row);
  }
  return out;
}

}  // namespace kiln
