// Scatter launchers (ScatterElements, Scatter, ScatterND), callable from host code: one thread per
// update element writes it, or reduces it into, the output element its map names. The output is
// expected to hold a copy of data already. Neither synchronizes nor allocates (graph capturable).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backends/cuda/kernels/datamove/index_math.h"

namespace kiln::cuda::datamove {

enum class ScatterReduction { kNone, kAdd, kMul, kMax, kMin };

// The element types a reduction combines (through 4- or 8-byte atomics); a plain store (kNone)
// only needs the element size and takes every type.
enum class ReducedType { kFloat32, kFloat64, kInt32, kInt64 };

// ScatterElements: update i (the indices' dims) goes to data at its own coordinate with the axis
// coordinate replaced by its index. `view` holds data's strides with the axis' stride set to 0.
template <class Index>
struct ScatterElementsMap {
  const Index* indices = nullptr;
  StridedView view;
  int64_t bound = 0, axis_stride = 0;
  template <class I>
  KILN_HD I operator()(I i) const {
    const I c = wrap_or_skip<I>(static_cast<int64_t>(indices[i]), bound);
    return c < 0 ? I(-1) : strided_offset(view, i) + c * static_cast<I>(axis_stride);
  }
};

// ScatterND: update i (the tuples' slices laid end to end) goes to its tuple's slice of data.
template <class Index>
struct ScatterNDMap {
  const Index* indices = nullptr;
  IndexTuples tuples;
  template <class I>
  KILN_HD I operator()(I i) const { return tuples.offset<false>(indices, i); }
};

// For i in [0, count): out[map(i)] = updates[i], or combined with it as `reduction` says, where
// map(i) >= 0 (an update whose index is out of range is skipped). Every map(i) is below
// dst_count. `type` only matters for reductions, `elem_bytes` only for kNone. With kNone,
// duplicate targets get one of their updates (ONNX leaves which unspecified).
template <class Map>
cudaError_t launch_scatter(const Map& map, const void* updates, int64_t count, void* out, int64_t dst_count,
                           int elem_bytes, ScatterReduction reduction, ReducedType type, cudaStream_t stream);

}  // namespace kiln::cuda::datamove
