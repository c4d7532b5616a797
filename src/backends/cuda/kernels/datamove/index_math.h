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

// An index written to: negative ones counted from the end, -1 for one outside [-bound, bound).
// Scatters skip such updates rather than clamp them, since a clamped write would change an
// element no index named.
template <class I>
KILN_HD I wrap_or_skip(int64_t index, int64_t bound) {
  if (index < 0) index += bound;
  return index < 0 || index >= bound ? I(-1) : static_cast<I>(index);
}

// GatherND and ScatterND: the indices are tuples of `depth` indices into data dims
// [batch_dims, batch_dims + depth), each naming a slice of `slice` contiguous elements of data.
// The tuples of one batch (batch_dims leading dims shared by data and indices) are
// `tuples_per_batch` consecutive ones, and their slices start `batch_stride` elements apart.
struct IndexTuples {
  int depth = 0;
  int64_t bounds[kMaxDims] = {};   // data's dims the tuple indexes
  int64_t strides[kMaxDims] = {};  // and their strides
  int64_t slice = 1, tuples_per_batch = 1, batch_stride = 0;

  // The data offset of element `i` of the tuples' slices laid end to end (GatherND's output,
  // ScatterND's updates). Out-of-range indices are clamped (kClamp, reads) or make it -1 (writes).
  template <bool kClamp, class I, class Index>
  KILN_HD I offset(const Index* indices, I i) const {
    const I t = i / static_cast<I>(slice);
    I at = (t / static_cast<I>(tuples_per_batch)) * static_cast<I>(batch_stride) + i % static_cast<I>(slice);
    for (int j = 0; j < depth; ++j) {
      const auto index = static_cast<int64_t>(indices[static_cast<int64_t>(t) * depth + j]);
      const I c = kClamp ? wrap_and_clamp<I>(index, bounds[j]) : wrap_or_skip<I>(index, bounds[j]);
      if (c < 0) return I(-1);
      at += c * static_cast<I>(strides[j]);
    }
    return at;
  }
};

}  // namespace kiln::cuda::datamove
