// The epilogue both int8 implicit-GEMM kernels finish with: the block's int32 sums, staged in
// shared memory by the kernel from its MMA fragments (mma.sync's or wgmma's), become outputs with
// each thread finishing 16 consecutive channels of one output pixel at a time: 16-byte residual
// loads and output stores, coalesced across the block, instead of the fragments' scattered pairs.
#pragma once

#include <cstdint>

#include "backends/cuda/cudnn/quantized_epilogue_element.cuh"
#include "backends/cuda/kernels/igemm/igemm_int8_conv.h"
#include "backends/cuda/kernels/igemm/igemm_tile_loader.cuh"

namespace kiln::cuda::igemm {

constexpr int kEpilogueChunk = 16;  // output channels one thread finishes at a time
// Staged rows of sums are padded by 8 words: the fragments' pairs of rows r and r + 4 then fall on
// different banks.
constexpr int kSumRowPadWords = 8;

// Four values rounded to nearest even, saturated to [-128, 127] and packed as int8 (a first).
// The conversion pack saturates, so the epilogue clamps only from below (ReLU's 0): two
// instructions fewer an element than clamping in float, and two packs instead of three byte permutes.
__device__ __forceinline__ uint32_t pack_saturated_int8x4(float a, float b, float c, float d) {
  uint32_t high, packed;
  // cvt.pack.sat.s8.s32.b32 x, p, q, r: x = r << 16 | sat8(p) << 8 | sat8(q).
  asm("cvt.pack.sat.s8.s32.b32 %0, %1, %2, 0;" : "=r"(high) : "r"(__float2int_rn(d)), "r"(__float2int_rn(c)));
  asm("cvt.pack.sat.s8.s32.b32 %0, %1, %2, %3;"
      : "=r"(packed)
      : "r"(__float2int_rn(b)), "r"(__float2int_rn(a)), "r"(high));
  return packed;
}

// The signed byte `byte` of `word`, as a float.
__device__ __forceinline__ float int8_at(int word, int byte) {
  return static_cast<float>(static_cast<int8_t>(word >> (8 * byte)));
}

// Where a staged residual chunk (16 bytes) sits: row after row of BN bytes, as
// finish_staged_sums reads it.
template <int BN>
struct NaturalChunks {
  __device__ __forceinline__ int operator()(int row, int col) const { return row * BN + col; }
};

// The folded epilogue's int8 residual of the BM x BN tile at (block_m, block_n), copied with
// cp.async to shared memory at `staged` by the threads that will finish each chunk. Kernels
// issue it with their prologue's loads, so its latency overlaps the main loop's instead of
// following it: a 1x1 layer over 64 channels has one reduction step, and its residual is as
// large as its output. place(row, col) is the byte offset of the 16 bytes of channels col.. of
// tile row `row` (the wgmma tiles' fragment epilogue swizzles them). Rows from m_end on are
// not read (m_end < 0: the layer's last pixel ends them; a tile of whole image rows ends earlier).
template <int BM, int BN, int Threads, class Place = NaturalChunks<BN>>
__device__ __forceinline__ void prefetch_residual(uint32_t staged, const IgemmInt8Conv& c, const IgemmFolded& f,
                                                  int block_m, int block_n, int tid, Place place = {},
                                                  int m_end = -1) {
  if (f.channel_pairs == nullptr || f.residual == nullptr) return;
  // A thread copies the same 16 channels of every kRowsPerPass-th row: one address computed, then
  // a constant stride (the generic chunk loop's divisions and 64-bit products cost more
  // instructions than the copies, on tiles of one reduction step).
  constexpr int kChunksPerRow = BN / kEpilogueChunk, kRowsPerPass = Threads / kChunksPerRow;
  static_assert(Threads % kChunksPerRow == 0 && BM % kRowsPerPass == 0, "whole rows a pass, whole passes a tile");
  const int m_total = m_end < 0 ? c.batch * c.out_h * c.out_w : m_end;
  const int row0 = tid / kChunksPerRow, col = (tid % kChunksPerRow) * kEpilogueChunk;
  if (block_n + col >= c.out_channels) return;
  const int8_t* src = f.residual + static_cast<int64_t>(block_m + row0) * c.out_channels + block_n + col;
  const int64_t pass_stride = static_cast<int64_t>(kRowsPerPass) * c.out_channels;
#pragma unroll
  for (int j = 0; j < BM / kRowsPerPass; ++j) {
    const int row = row0 + j * kRowsPerPass;
    if (block_m + row >= m_total) break;
    copy_vector(staged + place(row, col), src + j * pass_stride, true);
  }
}

// Outputs of the BM x BN tile at (block_m, block_n) from `sums` (row i at sums + i * (BN + 8)),
// shared by a block of Threads threads; the caller synchronizes the block after staging, and
// after the copies of prefetch_residual into `staged_residual` are done. The folded epilogue,
// where f has one: 16 sums read as four 16-byte words, each channel pair's scales and shifts as a float4,
// the residual and the output as one 16-byte vector each, about six instructions an element;
// otherwise the general epilogue of each element.
template <int BM, int BN, int Threads>
__device__ __forceinline__ void finish_staged_sums(const int32_t* sums, const int8_t* staged_residual,
                                                   const IgemmInt8Conv& c, const QuantizedEpilogue& e,
                                                   const IgemmFolded& f, int block_m, int block_n, int tid,
                                                   void* y) {
  static_assert(BN % kEpilogueChunk == 0, "rows split into whole chunks");
  constexpr int kSumRowWords = BN + kSumRowPadWords;
  constexpr int kChunksPerRow = BN / kEpilogueChunk;
  const int m_total = c.batch * c.out_h * c.out_w;
  for (int chunk = tid; chunk < BM * kChunksPerRow; chunk += Threads) {
    const int row = chunk / kChunksPerRow, col = (chunk % kChunksPerRow) * kEpilogueChunk;
    const int m = block_m + row, k0 = block_n + col;
    if (m >= m_total || k0 >= c.out_channels) continue;  // K is a multiple of 16: whole chunks
    const int32_t* sum = sums + row * kSumRowWords + col;
    const int64_t index = static_cast<int64_t>(m) * c.out_channels + k0;
    if (f.channel_pairs != nullptr) {
      const float4* pairs = f.channel_pairs + k0 / 2;
      const int4 z = f.residual != nullptr ? *reinterpret_cast<const int4*>(staged_residual + row * BN + col)
                                           : make_int4(0, 0, 0, 0);
      const int z_words[4] = {z.x, z.y, z.z, z.w};
      uint32_t q[4];
#pragma unroll
      for (int word = 0; word < 4; ++word) {
        const int4 s = reinterpret_cast<const int4*>(sum)[word];
        const float4 a = __ldg(pairs + 2 * word), b = __ldg(pairs + 2 * word + 1);  // (scale, scale, shift, shift)
        float v[4] = {fmaf(static_cast<float>(s.x), a.x, a.z), fmaf(static_cast<float>(s.y), a.y, a.w),
                      fmaf(static_cast<float>(s.z), b.x, b.z), fmaf(static_cast<float>(s.w), b.y, b.w)};
#pragma unroll
        for (int t = 0; t < 4; ++t) {
          if (f.residual != nullptr) v[t] = fmaf(int8_at(z_words[word], t), f.residual_ratio, v[t]);
          v[t] = fmaxf(v[t], f.lower);
        }
        q[word] = pack_saturated_int8x4(v[0], v[1], v[2], v[3]);
      }
      *reinterpret_cast<uint4*>(static_cast<int8_t*>(y) + index) = make_uint4(q[0], q[1], q[2], q[3]);
    } else {
      for (int t = 0; t < kEpilogueChunk; ++t)
        device::store_quantized_output(
            e, device::quantized_epilogue_value(e, static_cast<float>(sum[t]), index + t, k0 + t), index + t, y);
    }
  }
}

// Stores an MMA accumulator pair (channels col, col + 1 of tile row `row`); mma.sync's m16n8 and
// wgmma's m64nN fragments both hold their sums as such pairs.
template <int BN>
__device__ __forceinline__ void stage_sum_pair(int32_t* sums, int row, int col, int32_t first, int32_t second) {
  *reinterpret_cast<int2*>(sums + row * (BN + kSumRowPadWords) + col) = make_int2(first, second);
}

// The shared bytes the staged sums of a BM x BN tile take.
template <int BM, int BN>
constexpr int staged_sum_bytes() {
  return BM * (BN + kSumRowPadWords) * 4;
}
// And its staged residual's, which follow the larger of the pipeline and the sums.
template <int BM, int BN>
constexpr int staged_residual_bytes() {
  return BM * BN;
}

}  // namespace kiln::cuda::igemm
