// Index arithmetic shared by every data-movement kernel: a tensor of up to kMaxDims dims walked in
// row-major order, each output element mapped to the element of the source it comes from. Plain
// structs and __host__ __device__ functions, so host code builds them and kernels take them by
// value as arguments.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define KILN_HD __host__ __device__ __forceinline__
#else
#define KILN_HD inline
#endif
// Only the device compiler knows the pragma (the host compiler would warn about it).
#if defined(__CUDA_ARCH__)
#define KILN_UNROLL _Pragma("unroll")
#else
#define KILN_UNROLL
#endif

namespace kiln::cuda::datamove {

inline constexpr int kMaxDims = 8;

// An output of `dims` that reads its source at offset + sum_k index_k * strides[k] (elements).
// Strides may be 0 (broadcast) or negative (reversed).
struct StridedView {
  int rank = 0;
  int64_t dims[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};
  int64_t offset = 0;
};

// Calls fn(k, index_k) for every dim of `linear` in a row-major tensor of `dims`, innermost first.
// `I` is the kernel's index type (int32_t when everything fits, else int64_t).
template <class I, class Fn>
KILN_HD void for_each_coordinate(const int64_t* dims, int rank, I linear, Fn&& fn) {
KILN_UNROLL
  for (int k = kMaxDims - 1; k >= 0; --k) {
    if (k >= rank) continue;
    const I d = static_cast<I>(dims[k]);
    fn(k, linear % d);
    linear /= d;
  }
}

// The source offset of output element `linear` of the view.
template <class I>
KILN_HD I strided_offset(const StridedView& v, I linear) {
  I offset = static_cast<I>(v.offset);
  for_each_coordinate(v.dims, v.rank, linear, [&](int k, I i) { offset += i * static_cast<I>(v.strides[k]); });
  return offset;
}

// An index read from a tensor, negative ones counted from the end. The reference rejects indices
// outside [-bound, bound); a kernel cannot report an error, so it clamps them into range instead:
// a bad index gives a wrong element but never a read out of bounds.
template <class I>
KILN_HD I wrap_and_clamp(int64_t index, int64_t bound) {
  if (index < 0) index += bound;
  if (index < 0) index = 0;
  if (index >= bound) index = bound - 1;
  return static_cast<I>(index);
}

}  // namespace kiln::cuda::datamove
