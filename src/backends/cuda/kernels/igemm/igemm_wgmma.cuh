// The pieces of Kiln's Hopper int8 tiles that every wgmma kernel shares: the tile's sizes and
// shared-memory plan (WgmmaTile), the swizzled K-major placement of operand rows, matrix
// descriptors, and the warpgroup MMA instructions (m64n64k32, m64n128k32, s32.s8.s8; A read from
// shared memory or from registers) with their fences. Included by *_sm90a.cu files only: wgmma
// exists on the architecture-specific target sm_90a alone, and the guard keeps the instructions out
// of any other compile.
//
// Layout. A block is one or two warpgroups of 128 threads; each warpgroup computes MmasM x 64
// pixels (one or two m64 wgmmas deep) by all BN output channels (one m64n64 wgmma per k32 for
// BN = 64, else BN / 128 m64n128 ones). Each pipeline stage holds the A tile (the block's pixel
// rows) then the B tile (BN rows), one row per pixel or output channel, StepBytes (64 for every
// tile now) bytes of one tap's channels a row: both operands K-major, as int8 wgmma requires and
// as X and W rows already are. Rows are swizzled in the layout the descriptor's swizzle mode
// names (128-byte swizzle for 128-byte rows, 64-byte for 64-byte rows): 16-byte vector v of row r
// sits at byte r * StepBytes + 16 * (v ^ ((r * StepBytes / 128) % (StepBytes / 16))), i.e.
// address bits 4.. XORed with bits 7.., which is what the hardware undoes from the absolute
// shared address, so every tile starts 1024-byte aligned. Eight rows make one swizzle atom; the
// descriptor's stride byte offset is the distance between atoms along M or N (8 * StepBytes); its
// leading byte offset is unused by swizzled K-major layouts (set to 1); the k-th k32 slice starts
// 32 * k bytes into the tile.
#pragma once

#include <cstdint>

#include "backends/cuda/kernels/igemm/igemm_staged_epilogue.cuh"
#include "backends/cuda/kernels/igemm/igemm_tile_loader.cuh"

namespace kiln::cuda::igemm {

constexpr int kWarpgroupThreads = 128, kWarpgroupM = 64;
// Four stages, loads two steps ahead: the stage a step refills was last read two steps earlier,
// by wgmmas a wait_group 1 has since retired, so one step's MMAs overlap the next one's issue.
constexpr int kStages = 4;
constexpr int kSwizzleAlign = 1024;

// Warpgroups of 128 threads, each computing MmasM x 64 pixels (one or two m64 wgmmas deep: two
// halve the block-wide synchronizations per multiply) by BN channels. ResidualBuffers: the staged
// int8 tiles after the pipeline (the residual, then the reordered output): two where a block runs
// several tiles in turn (igemm_wgmma_sm90a.cu), so the next tile's residual lands during this one.
template <int Warpgroups, int MmasM, int BN, int StepBytes, int ResidualBuffers = 1>
struct WgmmaTile {
  static constexpr int kWarpgroupRows = MmasM * kWarpgroupM;
  static constexpr int kBlockM = Warpgroups * kWarpgroupRows;
  static constexpr int kThreads = Warpgroups * kWarpgroupThreads;
  static constexpr int kMmaN = BN < 128 ? BN : 128;  // columns of one wgmma: m64n64 or m64n128
  static constexpr int kMmas = BN / kMmaN;           // wgmmas per warpgroup and k32
  static constexpr int kAccPerMma = kMmaN / 2;       // int32 sums a thread holds per wgmma (64 x N / 128)
  using Loader = TileLoader<kThreads, kBlockM, BN, StepBytes>;
  static constexpr int kATileBytes = kBlockM * StepBytes, kBTileBytes = BN * StepBytes;
  static constexpr int kStageBytes = kATileBytes + kBTileBytes;
  static constexpr int kPipelineBytes = kStages * kStageBytes;
  static constexpr int kSumBytes = staged_sum_bytes<kBlockM, BN>();
  static constexpr int kResidualOffset = kPipelineBytes > kSumBytes ? kPipelineBytes : kSumBytes;
  static constexpr int kResidualBytes = staged_residual_bytes<kBlockM, BN>();
  static constexpr int kResidualBuffers = ResidualBuffers;
  // Plus the slack that aligns the dynamic shared memory's start to 1024 bytes.
  static constexpr int kSharedBytes = kResidualOffset + ResidualBuffers * kResidualBytes + kSwizzleAlign;
  // Descriptor swizzle modes: 1 = 128-byte, 2 = 64-byte.
  static constexpr uint64_t kSwizzleMode = StepBytes == 128 ? 1 : 2;
  static constexpr int kAtomBytes = 8 * StepBytes;  // eight rows
  static_assert(StepBytes == 128 || StepBytes == 64, "a step is one 128- or 64-byte swizzle row");
  static_assert(BN == 64 || BN % 128 == 0, "an m64n64 or whole m64n128 MMAs");
  static_assert(kStageBytes % kSwizzleAlign == 0 && (kWarpgroupM * StepBytes) % kSwizzleAlign == 0 &&
                    (kMmaN * StepBytes) % kSwizzleAlign == 0,
                "stages, each warpgroup's A rows and each wgmma's B rows start on swizzle-aligned addresses");
};

// Byte offset of vector `vector` of row `row` in a swizzled tile of StepBytes-byte rows.
template <int StepBytes>
__device__ __forceinline__ uint32_t swizzled(int row, int vector) {
  const uint32_t linear = row * StepBytes + vector * kVectorBytes;
  return linear ^ (((linear >> 7) & (StepBytes / kVectorBytes - 1)) << 4);
}

// Bytes from the dynamic shared memory's start `shared` to its first swizzle-aligned address: the
// swizzle is a function of the absolute shared address, so tiles start 1024-byte aligned (kernels
// ask for kSwizzleAlign bytes of slack).
__device__ __forceinline__ uint32_t swizzle_align_pad(const void* shared) {
  return (kSwizzleAlign - shared_address(shared) % kSwizzleAlign) % kSwizzleAlign;
}

// The matrix descriptor of a K-major swizzled tile at shared address `address`: start address,
// leading byte offset, stride byte offset (all in 16-byte units) and swizzle mode.
template <class Tile>
__device__ __forceinline__ uint64_t descriptor(uint32_t address) {
  return static_cast<uint64_t>((address & 0x3FFFF) >> 4) | (uint64_t{1} << 16) |
         (static_cast<uint64_t>(Tile::kAtomBytes >> 4) << 32) | (Tile::kSwizzleMode << 62);
}

// The descriptor of a K-major operand, unswizzled, whose rows lie 16 bytes apart and overlap: row
// i's bytes are those at `address` + 16 i on. In the unswizzled (interleaved) layout a core matrix
// is eight 16-byte rows stored back to back, and the descriptor gives the distance between core
// matrices along K (leading byte offset) and along M (stride byte offset). A sliding window of
// 16-byte pixels is that layout with 16 and 128: row i, bytes 16 j.. are pixel i + j's. Why: the
// space-to-depth stem's row form reads, for output pixel ow, the 64 bytes at 16 ow of a blocked
// row (four 16-byte pixels), so its A tile needs no copy and no registers.
__device__ __forceinline__ uint64_t sliding_rows_descriptor(uint32_t address) {
  constexpr uint64_t kLeading = 16 >> 4, kStride = 128 >> 4;  // in 16-byte units; swizzle mode 0
  return static_cast<uint64_t>((address & 0x3FFFF) >> 4) | (kLeading << 16) | (kStride << 32);
}

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int Pending>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(Pending) : "memory");
}
// Makes this thread's cp.async writes, done, visible to the wgmmas (the async proxy) that read
// them after the next barrier.
__device__ __forceinline__ void fence_shared_for_async_proxy() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}

// The accumulators of a wgmma as inline-assembly operands: their braced list (operands 0..31 or
// 0..63) and the read-write constraints binding them to d[0..31] or d[0..63]. Shared by the forms
// reading A from shared memory and from registers.
#define KILN_WGMMA_D32_LIST                                                                                  \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, " \
  "%23, %24, %25, %26, %27, %28, %29, %30, %31}"
#define KILN_WGMMA_D64_LIST                                                                                  \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, " \
  "%23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, "   \
  "%44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}"
#define KILN_WGMMA_D32(d)                                                                                     \
  "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3]), "+r"(d[4]), "+r"(d[5]), "+r"(d[6]), "+r"(d[7]), "+r"(d[8]), \
      "+r"(d[9]), "+r"(d[10]), "+r"(d[11]), "+r"(d[12]), "+r"(d[13]), "+r"(d[14]), "+r"(d[15]), "+r"(d[16]),  \
      "+r"(d[17]), "+r"(d[18]), "+r"(d[19]), "+r"(d[20]), "+r"(d[21]), "+r"(d[22]), "+r"(d[23]), "+r"(d[24]), \
      "+r"(d[25]), "+r"(d[26]), "+r"(d[27]), "+r"(d[28]), "+r"(d[29]), "+r"(d[30]), "+r"(d[31])
#define KILN_WGMMA_D64(d)                                                                                      \
  KILN_WGMMA_D32(d), "+r"(d[32]), "+r"(d[33]), "+r"(d[34]), "+r"(d[35]), "+r"(d[36]), "+r"(d[37]), "+r"(d[38]), \
      "+r"(d[39]), "+r"(d[40]), "+r"(d[41]), "+r"(d[42]), "+r"(d[43]), "+r"(d[44]), "+r"(d[45]), "+r"(d[46]),   \
      "+r"(d[47]), "+r"(d[48]), "+r"(d[49]), "+r"(d[50]), "+r"(d[51]), "+r"(d[52]), "+r"(d[53]), "+r"(d[54]),   \
      "+r"(d[55]), "+r"(d[56]), "+r"(d[57]), "+r"(d[58]), "+r"(d[59]), "+r"(d[60]), "+r"(d[61]), "+r"(d[62]),   \
      "+r"(d[63])

// d += A (64 x 32 bytes, descriptor a) * B (128 x 32 bytes, descriptor b)^T, exact int32 sums.
// Register i of d holds row 16 * (warp % 4) + lane / 4 + 8 * (i % 4 >= 2), column
// 8 * (i / 4) + 2 * (lane % 4) + i % 2 of the 64 x 128 product.
__device__ __forceinline__ void wgmma_m64nk32(int32_t (&d)[64], uint64_t a, uint64_t b) {
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "setp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8 " KILN_WGMMA_D64_LIST ", %64, %65, p;\n"
      "}\n"
      : KILN_WGMMA_D64(d)
      : "l"(a), "l"(b), "r"(1));  // scale-d 1: accumulate onto d
}

// The same for a 64 x 64 product: registers as above, columns up to 64.
__device__ __forceinline__ void wgmma_m64nk32(int32_t (&d)[32], uint64_t a, uint64_t b) {
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "setp.ne.b32 p, %34, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k32.s32.s8.s8 " KILN_WGMMA_D32_LIST ", %32, %33, p;\n"
      "}\n"
      : KILN_WGMMA_D32(d)
      : "l"(a), "l"(b), "r"(1));
}

// The forms reading A from registers: a[0..3] is the warp's m16 x k32 slice of A (warp w % 4 of
// the warpgroup holds rows 16w..16w + 15), as mma.sync m16n8k32 takes its A: a[0] the bytes
// 4 * (lane % 4) .. + 3 of row lane / 4, a[1] those of row lane / 4 + 8, a[2] and a[3] the same
// rows' bytes 16 further on. The wgmma reads a[] asynchronously: wgmma_fence() between the
// instructions writing a[] and the wgmma, and a[] left unchanged until a wgmma_wait() has retired
// it (ptxas checks both, and serializes the wgmmas, with a warning, where it cannot prove them).
__device__ __forceinline__ void wgmma_m64nk32(int32_t (&d)[64], const uint32_t (&a)[4], uint64_t b) {
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "setp.ne.b32 p, %69, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8 " KILN_WGMMA_D64_LIST ", {%64, %65, %66, %67}, %68, p;\n"
      "}\n"
      : KILN_WGMMA_D64(d)
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(1));
}
__device__ __forceinline__ void wgmma_m64nk32(int32_t (&d)[32], const uint32_t (&a)[4], uint64_t b) {
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "setp.ne.b32 p, %37, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k32.s32.s8.s8 " KILN_WGMMA_D32_LIST ", {%32, %33, %34, %35}, %36, p;\n"
      "}\n"
      : KILN_WGMMA_D32(d)
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(1));
}

// Keeps the compiler from moving reads of r above the wgmma wait that makes r final.
__device__ __forceinline__ void pin(int32_t& r) { asm volatile("" : "+r"(r)::"memory"); }

// Every sum of a tile's fragments (acc[mi][i][v]: channel i * MmaN + 8 (v / 4) + 2 (lane % 4) +
// v % 2 of the tile at block_n) times its channel's factor, rounded to nearest even:
// round(float(sum) * rescale[channel]) in float32, which igemm_shortcut_rescale replays on the
// host. The caller has retired every wgmma writing acc (wgmma_wait<0>).
template <int MmasM, int Mmas, int MmaN>
__device__ __forceinline__ void rescale_fragments(int32_t (&acc)[MmasM][Mmas][MmaN / 2], const float* rescale,
                                                  int block_n, int lane) {
#pragma unroll
  for (int mi = 0; mi < MmasM; ++mi)
#pragma unroll
    for (int i = 0; i < Mmas; ++i)
#pragma unroll
      for (int j = 0; j < MmaN / 8; ++j) {
        // The pair's channels: even, inside the zero-padded vector.
        const float2 r = __ldg(reinterpret_cast<const float2*>(rescale + block_n + i * MmaN + 8 * j + 2 * (lane % 4)));
#pragma unroll
        for (int v = 4 * j; v < 4 * j + 4; ++v) {
          pin(acc[mi][i][v]);
          acc[mi][i][v] = __float2int_rn(__fmul_rn(__int2float_rn(acc[mi][i][v]), v % 2 == 0 ? r.x : r.y));
        }
      }
}
#endif

}  // namespace kiln::cuda::igemm
