#include "backends/reference/strided_copy.h"

#include <cstring>

#include "core/thread_pool.h"

namespace kiln {

std::vector<int64_t> row_major_strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t k = dims.size(); k-- > 1;) strides[k - 1] = strides[k] * dims[k];
  return strides;
}

namespace {

// One innermost row; fixed-size element types so the compiler moves whole words.
template <class Word>
void copy_row_words(uint8_t* dst, const uint8_t* src, int64_t n, int64_t stride) {
  auto* d = reinterpret_cast<Word*>(dst);
  for (int64_t i = 0; i < n; ++i) std::memcpy(&d[i], src + i * stride * static_cast<int64_t>(sizeof(Word)), sizeof(Word));
}

void copy_row(uint8_t* dst, const uint8_t* src, int64_t n, int64_t stride, size_t elem) {
  if (stride == 1) {
    std::memcpy(dst, src, static_cast<size_t>(n) * elem);
    return;
  }
  switch (elem) {
    case 1: copy_row_words<uint8_t>(dst, src, n, stride); return;
    case 2: copy_row_words<uint16_t>(dst, src, n, stride); return;
    case 4: copy_row_words<uint32_t>(dst, src, n, stride); return;
    case 8: copy_row_words<uint64_t>(dst, src, n, stride); return;
    default:
      for (int64_t i = 0; i < n; ++i)
        std::memcpy(dst + static_cast<size_t>(i) * elem, src + i * stride * static_cast<int64_t>(elem), elem);
  }
}

}  // namespace

void copy_strided(const Tensor& src, int64_t offset, const std::vector<int64_t>& dims,
                  const std::vector<int64_t>& strides, Tensor& dst) {
  const size_t elem = data_type_size(src.dtype());
  const int64_t n = checked_numel(dims);
  if (n <= 0) return;
  const auto* s = static_cast<const uint8_t*>(src.raw());
  auto* d = static_cast<uint8_t*>(dst.raw());
  if (dims.empty()) {
    std::memcpy(d, s + offset * static_cast<int64_t>(elem), elem);
    return;
  }
  const size_t outer_rank = dims.size() - 1;
  const int64_t inner = dims.back();
  const int64_t rows = n / inner;
  parallel_for(rows, std::max<int64_t>(1, 16384 / inner), [&](int64_t begin, int64_t end) {
    std::vector<int64_t> index(outer_rank, 0);
    int64_t src_off = offset;
    for (size_t k = outer_rank, r = static_cast<size_t>(begin); k-- > 0;) {
      index[k] = static_cast<int64_t>(r) % dims[k];
      r /= static_cast<size_t>(dims[k]);
      src_off += index[k] * strides[k];
    }
    for (int64_t row = begin; row < end; ++row) {
      copy_row(d + row * inner * static_cast<int64_t>(elem), s + src_off * static_cast<int64_t>(elem), inner,
               strides.back(), elem);
      for (size_t k = outer_rank; k-- > 0;) {
        src_off += strides[k];
        if (++index[k] < dims[k]) break;
        src_off -= strides[k] * dims[k];
        index[k] = 0;
      }
    }
  });
}

Status copy_all(const Tensor& src, Tensor& dst) {
  if (src.dtype() != dst.dtype() || src.numel() != dst.numel())
    return internal_error("copy of {} {} into {} {}", data_type_name(src.dtype()), dims_to_string(src.dims()),
                          data_type_name(dst.dtype()), dims_to_string(dst.dims()));
  if (src.nbytes() > 0) std::memcpy(dst.raw(), src.raw(), src.nbytes());
  return Status::Ok();
}

void fill_elements(void* dst, int64_t count, const void* value, size_t elem_size) {
  auto* d = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < count; ++i) std::memcpy(d + static_cast<size_t>(i) * elem_size, value, elem_size);
}

}  // namespace kiln
