// How a layer's matrix products map onto cuBLASLt calls: the M x K x N of one product, the
// strided batch one call computes, and the calls a numpy batch broadcast needs when its pattern
// is not a single stride per operand (e.g. [2, 1, M, K] x [1, 3, K, N]).
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"

namespace kiln::cuda {

// Element offsets of the first matrix of one call's strided batch.
struct GemmCallOffsets {
  int64_t a = 0;
  int64_t b = 0;
  int64_t y = 0;
};

// Y = op(A) op(B), all row-major and contiguous: op(A) is M x K (A stored [K, M] when trans_a),
// op(B) is K x N (B stored [N, K] when trans_b), Y is M x N.
struct GemmShape {
  int64_t m = 0;
  int64_t n = 0;
  int64_t k = 0;
  bool trans_a = false;
  bool trans_b = false;
  // Each call computes `batch` products, matrix i at the call's offsets plus i times the
  // strides (in elements; a stride of 0 reuses one matrix for the whole batch).
  int64_t batch = 1;
  int64_t stride_a = 0;
  int64_t stride_b = 0;
  int64_t stride_y = 0;
  std::vector<GemmCallOffsets> calls{GemmCallOffsets{}};
};

// numpy matmul of A [..., M, K] by B [..., K, N] into Y [broadcast(...), M, N]; a 1-D A is
// [1, K] and a 1-D B is [K, 1], whose unit axis Y lacks. Checks that `y_dims` is that shape.
Expected<GemmShape> matmul_shape(std::vector<int64_t> a_dims, std::vector<int64_t> b_dims,
                                 const std::vector<int64_t>& y_dims);

// ONNX Gemm of 2-D A and B (transposed as stored) into Y [M, N]; checks the shapes agree.
Expected<GemmShape> gemm_shape(const std::vector<int64_t>& a_dims, bool trans_a, const std::vector<int64_t>& b_dims,
                               bool trans_b, const std::vector<int64_t>& y_dims);

}  // namespace kiln::cuda
