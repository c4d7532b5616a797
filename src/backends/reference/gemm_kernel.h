// The one general matrix multiply of the reference backend: cache-blocked, packed and
// multi-threaded. Conv, ConvTranspose, Gemm, MatMul, Einsum and the integer/quantized variants
// all reduce to it.
#pragma once

#include <cstdint>

namespace kiln {

// C = alpha * op(A) * op(B) + beta * C, all row-major. op(A) is M x K: A is stored M x K with row
// stride lda, or K x M when trans_a. Likewise op(B) is K x N (B stored N x K when trans_b).
// C is M x N with row stride ldc. beta == 0 overwrites C without reading it (NaNs in C vanish).
// Runs on kiln::parallel_for; called from inside a parallel region it runs on the calling thread.
// Instantiated for float, double, int32_t and int64_t.
template <class T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

}  // namespace kiln
