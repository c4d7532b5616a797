// The index maps of the data-movement ops. Each maps output element `i` to the element of the
// source it copies (a value < 0 means "write the fill value"); map_copy_kernel applies one to
// every output element. Host code fills them in create(); pointer members (indices, tables) are
// device memory.
#pragma once

#include "backends/cuda/kernels/datamove/index_math.h"

namespace kiln::cuda::datamove {

// Transpose, Slice, Expand, DepthToSpace, SpaceToDepth, Reshape-like copies: a strided view.
struct StridedMap {
  StridedView view;
  template <class I>
  KILN_HD I operator()(I i) const { return strided_offset(view, i); }
};

// Tile: output coordinate c reads input coordinate c % in_dims[k].
struct TileMap {
  StridedView view;  // output dims, input strides
  int64_t in_dims[kMaxDims] = {};
  template <class I>
  KILN_HD I operator()(I i) const {
    I offset = 0;
    for_each_coordinate(view.dims, view.rank, i,
                        [&](int k, I c) { offset += (c % static_cast<I>(in_dims[k])) * static_cast<I>(view.strides[k]); });
    return offset;
  }
};

enum class PadMode : int { kConstant, kEdge, kReflect };

// Pad: per axis the output coordinate minus `before` is the input coordinate; outside the input
// it is the fill value (constant), the nearest edge, or the reflection about the edge elements.
struct PadMap {
  StridedView view;  // output dims, input strides
  int64_t in_dims[kMaxDims] = {};
  int64_t before[kMaxDims] = {};
  PadMode mode = PadMode::kConstant;
  template <class I>
  KILN_HD I operator()(I i) const {
    I offset = 0;
    bool outside = false;
    for_each_coordinate(view.dims, view.rank, i, [&](int k, I c) {
      const I n = static_cast<I>(in_dims[k]);
      I x = c - static_cast<I>(before[k]);
      if (x < 0 || x >= n) {
        if (mode == PadMode::kConstant) {
          outside = true;
        } else if (mode == PadMode::kEdge || n == 1) {
          x = x < 0 ? 0 : n - 1;
        } else {  // reflect, as often as it takes (as the reference)
          const I period = 2 * (n - 1);
          x %= period;
          if (x < 0) x += period;
          if (x >= n) x = period - x;
        }
      }
      offset += x * static_cast<I>(view.strides[k]);
    });
    return outside ? I(-1) : offset;
  }
};

// Gather: data seen as [outer, bound, inner], output as [outer, count, inner] where `count`
// indices pick the middle coordinate. `Index` is the indices' type (int32_t or int64_t).
template <class Index>
struct GatherMap {
  const Index* indices = nullptr;
  int64_t bound = 0, count = 0, inner = 0;
  template <class I>
  KILN_HD I operator()(I i) const {
    const I in = i % static_cast<I>(inner);
    const I j = (i / static_cast<I>(inner)) % static_cast<I>(count);
    const I o = i / (static_cast<I>(inner) * static_cast<I>(count));
    return (o * static_cast<I>(bound) + wrap_and_clamp<I>(static_cast<int64_t>(indices[j]), bound)) *
               static_cast<I>(inner) + in;
  }
};

// GatherElements: output (the indices' dims) coordinate c reads data at c with the axis
// coordinate replaced by the index. `view` holds data's strides with the axis' stride set to 0.
template <class Index>
struct GatherElementsMap {
  const Index* indices = nullptr;
  StridedView view;
  int64_t bound = 0, axis_stride = 0;
  template <class I>
  KILN_HD I operator()(I i) const {
    return strided_offset(view, i) +
           wrap_and_clamp<I>(static_cast<int64_t>(indices[i]), bound) * static_cast<I>(axis_stride);
  }
};

// GatherND: output element i (slices laid end to end) reads its tuple's slice of data.
template <class Index>
struct GatherNDMap {
  const Index* indices = nullptr;
  IndexTuples tuples;
  template <class I>
  KILN_HD I operator()(I i) const { return tuples.offset<true>(indices, i); }
};

// Trilu: keeps element (row, col) of each matrix when col - row >= k (upper) or <= k (lower).
struct TriluMap {
  int64_t rows = 0, cols = 0, k = 0;
  bool upper = true;
  template <class I>
  KILN_HD I operator()(I i) const {
    const int64_t col = static_cast<int64_t>(i % static_cast<I>(cols));
    const int64_t row = static_cast<int64_t>((i / static_cast<I>(cols)) % static_cast<I>(rows));
    const bool keep = upper ? col - row >= k : col - row <= k;
    return keep ? i : I(-1);
  }
};

// EyeLike: the source is one element (the dtype's 1), read on the k-th diagonal.
struct DiagonalMap {
  int64_t cols = 0, k = 0;
  template <class I>
  KILN_HD I operator()(I i) const {
    const int64_t col = static_cast<int64_t>(i % static_cast<I>(cols));
    const int64_t row = static_cast<int64_t>(i / static_cast<I>(cols));
    return col - row == k ? I(0) : I(-1);
  }
};

// ConstantOfShape: every element is the fill value.
struct FillMap {
  template <class I>
  KILN_HD I operator()(I) const { return I(-1); }
};

// One output coordinate of a resized axis: up to 4 input taps, none when it extrapolates.
struct ResizeTaps {
  int32_t index[4] = {};
  float weight[4] = {};
  int32_t count = 0;
};

// Nearest Resize of [N*C, H, W]: each output coordinate reads its single tap per axis.
struct ResizeNearestMap {
  const ResizeTaps* rows = nullptr;  // per output row
  const ResizeTaps* cols = nullptr;  // per output column
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  template <class I>
  KILN_HD I operator()(I i) const {
    const I x = i % static_cast<I>(out_w);
    const I y = (i / static_cast<I>(out_w)) % static_cast<I>(out_h);
    const I plane = i / (static_cast<I>(out_w) * static_cast<I>(out_h));
    const ResizeTaps& r = rows[y];
    const ResizeTaps& c = cols[x];
    if (r.count == 0 || c.count == 0) return I(-1);
    return (plane * static_cast<I>(in_h) + r.index[0]) * static_cast<I>(in_w) + c.index[0];
  }
};

}  // namespace kiln::cuda::datamove
