// numpy-style batched matrix multiply on top of the blocked GEMM, shared by MatMul,
// MatMulInteger, QLinearMatMul and Einsum.
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"

namespace kiln {

// out = a @ b with numpy matmul semantics: [..., M, K] x [..., K, N] -> [broadcast(...), M, N]; a
// 1-D a is [1, K] and a 1-D b is [K, 1] (the caller drops that axis from the output shape).
// `out` holds the broadcast batch times M x N. T: float, double, int32_t, int64_t.
template <class T>
Status batched_matmul(const T* a, const std::vector<int64_t>& a_dims, const T* b, const std::vector<int64_t>& b_dims,
                      T* out);

}  // namespace kiln
