// Goto-style blocked GEMM in portable C++: op(B) is packed into K x NR column panels, op(A) into
// MR x K row panels (zero-padded at the edges), and a register-tiled MR x NR micro-kernel written
// with GCC/Clang vector extensions multiplies one pair of panels. The vector width is fixed at
// 16 bytes so the code is SSE2-only on x86-64 (runs on any x86-64 CPU) and NEON on AArch64, and
// MR x NR is chosen so the accumulators, one row of B and a broadcast A value fit the 16 vector
// registers. Blocking in K (kKC) keeps each partial sum short before it is added to C, which keeps
// float rounding error close to that of a pairwise order even for huge K.
#include "backends/reference/gemm_kernel.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/thread_pool.h"

#pragma GCC optimize("O3")

namespace kiln {

namespace {

constexpr int kVectorBytes = 16;

// Register tile and cache blocks per element type.
template <class T>
struct GemmTile;
template <>
struct GemmTile<float> {  // 12 accumulators + 2 B vectors + 1 broadcast
  static constexpr int kMR = 6, kNR = 8;
};
template <>
struct GemmTile<int32_t> : GemmTile<float> {};
template <>
struct GemmTile<double> {  // 12 accumulators + 2 B vectors + 1 broadcast
  static constexpr int kMR = 6, kNR = 4;
};
template <>
struct GemmTile<int64_t> : GemmTile<double> {};

// Depth of one packed block: a K x NR panel of B (8 KiB for float) stays in L1.
constexpr int64_t kKC = 256;
// Rows of A per task: an MC x KC block of packed A (96 KiB for float) stays in L2.
constexpr int64_t kMC = 96;
// Columns of C per task.
constexpr int64_t kTaskCols = 512;
// Rows of A packed at once and columns of B packed at once bound the packing buffers.
constexpr int64_t kPackedRows = 2048;
constexpr int64_t kPackedCols = 4096;
// Roughly how much work (multiply-adds) is worth handing to another thread.
constexpr int64_t kMinTaskWork = int64_t{1} << 16;

template <class T>
using Vec [[gnu::vector_size(kVectorBytes)]] = T;

// All lanes = x. (Written lane by lane: `V{} + x` would cost an add, since -0 + 0 != -0.)
template <class V, class T>
V broadcast(T x) {
  V v;
  for (size_t l = 0; l < sizeof(V) / sizeof(T); ++l) v[l] = x;
  return v;
}

// out[MR x NR] = sum over p < kc of a[p][0..MR) (outer) b[p][0..NR).
template <class T>
void micro_kernel(int64_t kc, const T* __restrict a, const T* __restrict b, T* __restrict out) {
  constexpr int kMR = GemmTile<T>::kMR, kNR = GemmTile<T>::kNR;
  constexpr int kLanes = kVectorBytes / static_cast<int>(sizeof(T));
  constexpr int kNV = kNR / kLanes;
  using V = Vec<T>;
  V acc[kMR][kNV];
  for (int i = 0; i < kMR; ++i)
    for (int j = 0; j < kNV; ++j) acc[i][j] = V{};
  for (int64_t p = 0; p < kc; ++p) {
    V bv[kNV];
    for (int j = 0; j < kNV; ++j) std::memcpy(&bv[j], b + p * kNR + j * kLanes, sizeof(V));
    for (int i = 0; i < kMR; ++i) {
      const V av = broadcast<V>(a[p * kMR + i]);
      for (int j = 0; j < kNV; ++j) acc[i][j] += av * bv[j];
    }
  }
  std::memcpy(out, acc, sizeof(acc));
}

// Copies rows [i0, i0 + MR) x depth [p0, p0 + kc) of op(A) into one panel, p-major.
template <class T>
void pack_a_panel(bool trans_a, const T* a, int64_t lda, int64_t m, int64_t i0, int64_t p0, int64_t kc,
                  T* dst) {
  constexpr int kMR = GemmTile<T>::kMR;
  const int rows = static_cast<int>(std::min<int64_t>(kMR, m - i0));
  if (rows < kMR) std::fill(dst, dst + kc * kMR, T{});
  if (!trans_a) {
    for (int r = 0; r < rows; ++r) {
      const T* src = a + (i0 + r) * lda + p0;
      for (int64_t p = 0; p < kc; ++p) dst[p * kMR + r] = src[p];
    }
  } else {
    for (int64_t p = 0; p < kc; ++p) {
      const T* src = a + (p0 + p) * lda + i0;
      for (int r = 0; r < rows; ++r) dst[p * kMR + r] = src[r];
    }
  }
}

// Copies depth [p0, p0 + kc) x columns [j0, j0 + NR) of op(B) into one panel, p-major.
template <class T>
void pack_b_panel(bool trans_b, const T* b, int64_t ldb, int64_t n, int64_t j0, int64_t p0, int64_t kc,
                  T* dst) {
  constexpr int kNR = GemmTile<T>::kNR;
  const int cols = static_cast<int>(std::min<int64_t>(kNR, n - j0));
  if (cols < kNR) std::fill(dst, dst + kc * kNR, T{});
  if (!trans_b) {
    for (int64_t p = 0; p < kc; ++p) {
      const T* src = b + (p0 + p) * ldb + j0;
      for (int c = 0; c < cols; ++c) dst[p * kNR + c] = src[c];
    }
  } else {
    for (int c = 0; c < cols; ++c) {
      const T* src = b + (j0 + c) * ldb + p0;
      for (int64_t p = 0; p < kc; ++p) dst[p * kNR + c] = src[p];
    }
  }
}

// Adds (or, for the first K block, assigns with beta) alpha * tile to the rows x cols corner of C.
template <class T>
void store_tile(const T* tile, int rows, int cols, T alpha, T beta, bool first_k_block, T* c, int64_t ldc) {
  constexpr int kNR = GemmTile<T>::kNR;
  for (int i = 0; i < rows; ++i) {
    T* crow = c + i * ldc;
    const T* t = tile + i * kNR;
    if (!first_k_block) {
      for (int j = 0; j < cols; ++j) crow[j] += alpha * t[j];
    } else if (beta == T{0}) {
      for (int j = 0; j < cols; ++j) crow[j] = alpha * t[j];
    } else {
      for (int j = 0; j < cols; ++j) crow[j] = alpha * t[j] + beta * crow[j];
    }
  }
}

template <class T>
void scale_c(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T{0} ? T{0} : beta * c[i * ldc + j];
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  constexpr int kMR = GemmTile<T>::kMR, kNR = GemmTile<T>::kNR;
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == T{0}) {
    scale_c(m, n, beta, c, ldc);
    return;
  }
  std::vector<T> packed_a, packed_b;
  for (int64_t jc = 0; jc < n; jc += kPackedCols) {
    const int64_t nc = std::min(kPackedCols, n - jc);
    const int64_t b_panels = ceil_div(nc, kNR);
    for (int64_t pc = 0; pc < k; pc += kKC) {
      const int64_t kc = std::min(kKC, k - pc);
      const bool first_k_block = pc == 0;
      packed_b.resize(static_cast<size_t>(b_panels * kNR * kc));
      parallel_for(b_panels, std::max<int64_t>(1, kMinTaskWork / (kNR * kc)), [&](int64_t q0, int64_t q1) {
        for (int64_t q = q0; q < q1; ++q)
          pack_b_panel(trans_b, b, ldb, n, jc + q * kNR, pc, kc, packed_b.data() + q * kNR * kc);
      });
      for (int64_t ic = 0; ic < m; ic += kPackedRows) {
        const int64_t mc = std::min(kPackedRows, m - ic);
        const int64_t a_panels = ceil_div(mc, kMR);
        packed_a.resize(static_cast<size_t>(a_panels * kMR * kc));
        parallel_for(a_panels, std::max<int64_t>(1, kMinTaskWork / (kMR * kc)), [&](int64_t q0, int64_t q1) {
          for (int64_t q = q0; q < q1; ++q)
            pack_a_panel(trans_a, a, lda, m, ic + q * kMR, pc, kc, packed_a.data() + q * kMR * kc);
        });
        // Tasks are MC x kTaskCols blocks of C; consecutive tasks share a column block of B.
        const int64_t row_tasks = ceil_div(mc, kMC);
        const int64_t col_tasks = ceil_div(nc, kTaskCols);
        const int64_t task_work = std::min(mc, kMC) * std::min(nc, kTaskCols) * kc;
        parallel_for(row_tasks * col_tasks, std::max<int64_t>(1, kMinTaskWork / task_work),
                     [&](int64_t t0, int64_t t1) {
          alignas(64) T tile[kMR * kNR];
          for (int64_t t = t0; t < t1; ++t) {
            const int64_t r0 = (t % row_tasks) * kMC, r1 = std::min(mc, r0 + kMC);
            const int64_t c0 = (t / row_tasks) * kTaskCols, c1 = std::min(nc, c0 + kTaskCols);
            for (int64_t jr = c0; jr < c1; jr += kNR) {
              const T* bp = packed_b.data() + (jr / kNR) * kNR * kc;
              const int cols = static_cast<int>(std::min<int64_t>(kNR, c1 - jr));
              for (int64_t ir = r0; ir < r1; ir += kMR) {
                micro_kernel(kc, packed_a.data() + (ir / kMR) * kMR * kc, bp, tile);
                const int rows = static_cast<int>(std::min<int64_t>(kMR, r1 - ir));
                store_tile(tile, rows, cols, alpha, beta, first_k_block, c + (ic + ir) * ldc + jc + jr, ldc);
              }
            }
          }
        });
      }
    }
  }
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*,
                          int64_t, float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                           const double*, int64_t, double, double*, int64_t);
template void gemm<int32_t>(bool, bool, int64_t, int64_t, int64_t, int32_t, const int32_t*, int64_t,
                            const int32_t*, int64_t, int32_t, int32_t*, int64_t);
template void gemm<int64_t>(bool, bool, int64_t, int64_t, int64_t, int64_t, const int64_t*, int64_t,
                            const int64_t*, int64_t, int64_t, int64_t*, int64_t);

}  // namespace kiln
