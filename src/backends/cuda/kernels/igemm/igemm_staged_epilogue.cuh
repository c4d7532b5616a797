// The epilogue both int8 implicit-GEMM kernels finish with: the block's int32 sums, staged in
// shared memory by the kernel from its MMA fragments (mma.sync's or wgmma's), become outputs with
// each thread finishing 16 consecutive channels of one output pixel at a time: 16-byte residual
// loads and output stores, coalesced across the block, instead of the fragments' scattered pairs.
#pragma once

#include <cstdint>

#include "backends/cuda/cudnn/quantized_epilogue_element.cuh"
#include "backends/cuda/kernels/igemm/igemm_int8_conv.h"

namespace kiln::cuda::igemm {

constexpr int kEpilogueChunk = 16;  // output channels one thread finishes at a time
// Staged rows of sums are padded by 8 words: the fragments' pairs of rows r and r + 4 then fall on
// different banks.
constexpr int kSumRowPadWords = 8;

// The epilogue without per-element switches: int8 output, a 16-byte aligned int8 residual or
// none, ReLU or none.
__device__ __forceinline__ bool is_plain_int8_epilogue(const QuantizedEpilogue& e) {
  return e.output_dtype == DataType::kInt8 &&
         (e.residual == nullptr ||
          (e.residual_dtype == DataType::kInt8 && reinterpret_cast<uintptr_t>(e.residual) % 16 == 0)) &&
         !e.activation.gated &&
         (e.activation.kind == ActivationKind::kNone || e.activation.kind == ActivationKind::kRelu);
}

// Outputs of the BM x BN tile at (block_m, block_n) from `sums` (row i at sums + i * (BN + 8)),
// shared by a block of Threads threads; the caller synchronizes the block after staging.
template <int BM, int BN, int Threads>
__device__ __forceinline__ void finish_staged_sums(const int32_t* sums, const IgemmInt8Conv& c,
                                                   const QuantizedEpilogue& e, int block_m, int block_n, int tid,
                                                   void* y) {
  static_assert(BN % kEpilogueChunk == 0, "rows split into whole chunks");
  constexpr int kSumRowWords = BN + kSumRowPadWords;
  constexpr int kChunksPerRow = BN / kEpilogueChunk;
  const int m_total = c.batch * c.out_h * c.out_w;
  const bool plain = is_plain_int8_epilogue(e);
  for (int chunk = tid; chunk < BM * kChunksPerRow; chunk += Threads) {
    const int row = chunk / kChunksPerRow, col = (chunk % kChunksPerRow) * kEpilogueChunk;
    const int m = block_m + row, k0 = block_n + col;
    if (m >= m_total || k0 >= c.out_channels) continue;  // K is a multiple of 16: whole chunks
    const int32_t* sum = sums + row * kSumRowWords + col;
    const int64_t index = static_cast<int64_t>(m) * c.out_channels + k0;
    if (plain) {
      // The same operations, in the same order, as quantized_epilogue_value; a missing bias adds
      // +0, which can only change the sign of a zero sum, and that quantizes to 0.
      alignas(16) int8_t z[kEpilogueChunk] = {};
      if (e.residual != nullptr)
        *reinterpret_cast<int4*>(z) = *reinterpret_cast<const int4*>(static_cast<const int8_t*>(e.residual) + index);
      alignas(16) int8_t q[kEpilogueChunk];
#pragma unroll
      for (int t = 0; t < kEpilogueChunk; ++t) {
        float v = __fmul_rn(static_cast<float>(sum[t]), __ldg(e.channel_scale + k0 + t));
        v = __fadd_rn(v, e.bias != nullptr ? __ldg(e.bias + k0 + t) : 0.f);
        if (e.residual != nullptr) v = __fadd_rn(v, __fmul_rn(static_cast<float>(z[t]), e.residual_scale));
        if (e.activation.kind == ActivationKind::kRelu) v = v < 0.f ? 0.f : v;
        q[t] = device::quantize_int8(v, e.output_scale);
      }
      *reinterpret_cast<int4*>(static_cast<int8_t*>(y) + index) = *reinterpret_cast<const int4*>(q);
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

}  // namespace kiln::cuda::igemm
