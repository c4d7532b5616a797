// The wgmma tiles' folded epilogue, finished in the registers that hold the sums: each thread
// scales, shifts, adds the residual, rounds and packs its own fragment to int8, and the warp then
// reorders the int8 tile through shared memory with stmatrix, so the global stores stay 16-byte
// vectors. Why: staging int32 sums (igemm_staged_epilogue.cuh) moves four times the bytes through
// shared memory, and Nsight Compute showed ResNet-50's 1x1+residual layers bound by exactly that
// (issue slots 77% busy, the L1/shared pipe 81%, DRAM 46%).
//
// The reordering. A wgmma D fragment gives thread (lane / 4, q = lane % 4) of a warp's 8-row
// group the channel pairs 8j + 2q, 8j + 2q + 1. Two such pairs (j = 2p, 2p + 1) are four bytes,
// which stmatrix (8x8 matrices of 16-bit elements) stores as bytes 4q..4q+3 of the row's 16-byte
// chunk p. So a stored chunk holds its 2-byte units in the order u0 u4 u1 u5 u2 u6 u3 u7 of the
// natural u0..u7: a fixed permutation inside 16 bytes, undone with four byte permutes after a
// 16-byte load. The residual takes the opposite path: copied in the natural order (cp.async, with
// the prologue's loads), permuted in place the same way, then ldmatrix hands each thread the
// residual bytes of its own fragment. Each warp reorders only its own 16 rows of a tile: no block
// barrier after the main loop's last one.
//
// Chunks are placed in shared memory with an XOR swizzle so that each phase of ldmatrix, stmatrix
// and the 16-byte accesses (eight 16-byte rows or chunks) touches every bank once.
#pragma once

#include <cstdint>

#include "backends/cuda/kernels/igemm/igemm_int8_conv.h"
#include "backends/cuda/kernels/igemm/igemm_staged_epilogue.cuh"
#include "backends/cuda/kernels/igemm/igemm_tile_loader.cuh"

namespace kiln::cuda::igemm {

// Byte offset of 16-byte chunk `chunk` of row `row` in a staged int8 tile of BN-byte rows.
template <int BN>
__device__ __forceinline__ int fragment_chunk_offset(int row, int chunk) {
  static_assert(BN == 64 || BN % 128 == 0, "rows of 4 chunks, or of whole groups of 8");
  const int flip = BN == 64 ? (row >> 1) & 3 : row & 7;
  return row * BN + kVectorBytes * (chunk ^ flip);
}

// Natural 16 bytes (u0..u7) to the stored order u0 u4 u1 u5 u2 u6 u3 u7, and back.
__device__ __forceinline__ uint4 fragment_order(uint4 w) {
  return make_uint4(__byte_perm(w.x, w.z, 0x5410), __byte_perm(w.x, w.z, 0x7632), __byte_perm(w.y, w.w, 0x5410),
                    __byte_perm(w.y, w.w, 0x7632));
}
__device__ __forceinline__ uint4 natural_order(uint4 p) {
  return make_uint4(__byte_perm(p.x, p.y, 0x5410), __byte_perm(p.z, p.w, 0x5410), __byte_perm(p.x, p.y, 0x7632),
                    __byte_perm(p.z, p.w, 0x7632));
}

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
__device__ __forceinline__ void load_matrices(uint32_t (&r)[4], uint32_t address) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address)
               : "memory");
}
__device__ __forceinline__ void store_matrices(uint32_t address, const uint32_t (&r)[4]) {
  asm volatile("stmatrix.sync.aligned.m8n8.x4.shared.b16 [%0], {%1, %2, %3, %4};\n" ::"r"(address), "r"(r[0]),
               "r"(r[1]), "r"(r[2]), "r"(r[3])
               : "memory");
}

// The folded epilogue (f.channel_pairs set) of one warp's 16 rows per m64 of a tile of BM x BN
// outputs: acc[mi][i][v] is the wgmma fragment of rows warp_row + 64 * mi (+ lane / 4, + 8) and
// channels i * MmaN + 8j + 2q (+1). `staged` is the tile's shared int8 area (BM x BN bytes), where
// prefetch_residual placed the residual chunks with fragment_chunk_offset; the caller has waited
// for those copies and synchronized the block. Output pixels from m_end on are not written
// (m_end < 0: the layer's last pixel ends them).
//
// Residual: whether f.residual is set, a template argument so that each form is straight-line
// code: a runtime test per four outputs made the compiler issue the other form's clamps too,
// predicated off (Nsight Compute's per-instruction counts, docs/perf-notes.md, session 8).
// Store: whether the rows go on to Y; without, the finished int8 tile stays in `staged`, each
// 16-byte chunk in the stored order (natural_order undoes it), for a caller that reads it on.
template <int BM, int BN, int MmasM, int Mmas, int MmaN, bool Residual, bool Store = true>
__device__ __forceinline__ void finish_fragments_of(const int32_t (&acc)[MmasM][Mmas][MmaN / 2], int8_t* staged,
                                                    const IgemmInt8Conv& c, const IgemmFolded& f, int block_m,
                                                    int block_n, int warp_row, int lane, void* y, int m_end) {
  constexpr int kChunks = BN / kVectorBytes;  // per row
  static_assert(kChunks % 2 == 0 && MmaN % 16 == 0, "stmatrix x4 covers two chunks of 16 rows");
  const int m_total = m_end < 0 ? c.batch * c.out_h * c.out_w : m_end, q = lane % 4;
  constexpr bool residual = Residual;
  // Each lane addresses one row of one of the four 8x8 matrices of an x4: rows 0-7 or 8-15 of
  // the warp's 16, chunk pair member 0 or 1.
  const int matrix = lane / 8, matrix_row = (matrix & 1) * 8 + lane % 8, matrix_chunk = matrix >> 1;
#pragma unroll
  for (int mi = 0; mi < MmasM; ++mi) {
    const int base = warp_row + 64 * mi;
    if constexpr (residual) {
#pragma unroll
      for (int it = 0; it < kChunks / 2; ++it) {  // 16 rows of kChunks chunks, 32 lanes
        const int idx = it * 32 + lane;
        uint4* chunk = reinterpret_cast<uint4*>(staged + fragment_chunk_offset<BN>(base + idx / kChunks, idx % kChunks));
        *chunk = fragment_order(*chunk);
      }
      __syncwarp();
    }
#pragma unroll
    for (int pair = 0; pair < kChunks; pair += 2) {
      const uint32_t address =
          shared_address(staged + fragment_chunk_offset<BN>(base + matrix_row, pair + matrix_chunk));
      uint32_t z[4] = {0, 0, 0, 0};
      if constexpr (residual) load_matrices(z, address);
      uint32_t out[4];
#pragma unroll
      for (int m = 0; m < 4; ++m) {
        const int half = m & 1, chunk = pair + (m >> 1);
        const int i = chunk * kVectorBytes / MmaN, j0 = (chunk * kVectorBytes % MmaN) / 8;
        float v[4];
#pragma unroll
        for (int t = 0; t < 2; ++t) {  // j0 and j0 + 1: channels 8 apart
          const int n = block_n + chunk * kVectorBytes + 8 * t + 2 * q;  // even, in the padded vectors
          const float4 pair = __ldg(f.channel_pairs + n / 2);
          const int reg = 4 * (j0 + t) + 2 * half;
          v[2 * t] = fmaf(static_cast<float>(acc[mi][i][reg]), pair.x, pair.z);
          v[2 * t + 1] = fmaf(static_cast<float>(acc[mi][i][reg + 1]), pair.y, pair.w);
        }
#pragma unroll
        for (int b = 0; b < 4; ++b) {
          if constexpr (residual) v[b] = fmaf(int8_at(static_cast<int>(z[m]), b), f.residual_ratio, v[b]);
          v[b] = fmaxf(v[b], f.lower);
        }
        out[m] = pack_saturated_int8x4(v[0], v[1], v[2], v[3]);
      }
      __syncwarp();  // every lane's ldmatrix read the chunks before they are overwritten
      store_matrices(address, out);
    }
    __syncwarp();
    if constexpr (Store) {
#pragma unroll
      for (int it = 0; it < kChunks / 2; ++it) {
        const int idx = it * 32 + lane;
        const int row = base + idx / kChunks, chunk = idx % kChunks;
        const int m = block_m + row, k0 = block_n + chunk * kVectorBytes;
        if (m >= m_total || k0 >= c.out_channels) continue;
        const uint4 p = *reinterpret_cast<const uint4*>(staged + fragment_chunk_offset<BN>(row, chunk));
        *reinterpret_cast<uint4*>(static_cast<int8_t*>(y) + static_cast<int64_t>(m) * c.out_channels + k0) =
            natural_order(p);
      }
    }
  }
}

// The folded epilogue, its form picked once per tile.
template <int BM, int BN, int MmasM, int Mmas, int MmaN>
__device__ __forceinline__ void finish_fragments(const int32_t (&acc)[MmasM][Mmas][MmaN / 2], int8_t* staged,
                                                 const IgemmInt8Conv& c, const IgemmFolded& f, int block_m,
                                                 int block_n, int warp_row, int lane, void* y, int m_end = -1) {
  if (f.residual != nullptr)
    finish_fragments_of<BM, BN, MmasM, Mmas, MmaN, true>(acc, staged, c, f, block_m, block_n, warp_row, lane, y, m_end);
  else
    finish_fragments_of<BM, BN, MmasM, Mmas, MmaN, false>(acc, staged, c, f, block_m, block_n, warp_row, lane, y,
                                                          m_end);
}
// The folded epilogue without a residual, left in `staged` for the caller (finish_fragments_of
// with Store false); the caller synchronizes before reading other warps' rows.
template <int BM, int BN, int MmasM, int Mmas, int MmaN>
__device__ __forceinline__ void stage_fragments(const int32_t (&acc)[MmasM][Mmas][MmaN / 2], int8_t* staged,
                                                const IgemmInt8Conv& c, const IgemmFolded& f, int block_n,
                                                int warp_row, int lane) {
  finish_fragments_of<BM, BN, MmasM, Mmas, MmaN, false, false>(acc, staged, c, f, 0, block_n, warp_row, lane, nullptr,
                                                               -1);
}
#endif

}  // namespace kiln::cuda::igemm
