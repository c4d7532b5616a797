// The pooled int8 space-to-depth stem (stem_pool_igemm_int8_conv.h) on Hopper's warpgroup MMAs.
// Shared memory, from its 1024-byte aligned start: the four taps' B tiles (copied once), two
// halos (five blocked rows each: step s computes from one while step s + 1's rows are copied
// into the other), three int8 tiles of 256 x 64 (step s's conv rows, step s - 1's, pooled while
// step s's MMAs run, and s - 2's, whose second row is that pool's row above).
//
// One barrier a step: it makes the step's rows (and, once, the weights) visible and the previous
// step's epilogue rows to the pool, and it follows every thread's last reads of what the step
// overwrites (the other halo buffer, by the previous MMAs; the tile of step s - 3, by the pool).
//
// sm_90a only, built apart as the other *_sm90a.cu files are (src/backends/cuda/CMakeLists.txt);
// the guard keeps a compile for any other target an empty kernel.
#include <cstdint>
#include <limits>

#include "backends/cuda/dependent_launch.h"
#include "backends/cuda/kernels/igemm/halo_mma.cuh"
#include "backends/cuda/kernels/igemm/igemm_fragment_epilogue.cuh"
#include "backends/cuda/kernels/igemm/stem_pool_igemm_int8_conv.h"

namespace kiln::cuda::igemm {

namespace {

using StemStage = HaloStage<HaloWindow::kStemRows4, 2, 2, kStemPoolBlockN>;
using StemTile = StemStage::Tile;
static_assert(StemTile::kBlockM == kStemPoolBlockM && StemTile::kThreads == kStemPoolThreads &&
                  StemTile::kWarpgroupRows == kStemPoolMaxRowPixels && StemTile::kMmas == 1,
              "the host's tile: a warpgroup's two m64s one conv row, one m64n64 wgmma a k32");

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
// The signed bytewise maximum of two 16-byte chunks.
__device__ __forceinline__ uint4 max_bytes(uint4 a, uint4 b) {
  return make_uint4(__vmaxs4(a.x, b.x), __vmaxs4(a.y, b.y), __vmaxs4(a.z, b.z), __vmaxs4(a.w, b.w));
}
#endif

__global__ void __launch_bounds__(kStemPoolThreads, 2)
    stem_pool_igemm_int8_kernel(IgemmInt8Conv c, StemPoolTiling t, const int8_t* __restrict__ x,
                                const int8_t* __restrict__ w, IgemmFolded f, int8_t* __restrict__ y) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  constexpr int BN = kStemPoolBlockN, kMmas = StemTile::kMmas, kMmaN = StemTile::kMmaN;
  extern __shared__ __align__(16) int8_t shared[];
  const uint32_t align_pad = swizzle_align_pad(shared), base = shared_address(shared) + align_pad;
  const uint32_t halo0 = base + StemStage::kWeightBytes;
  int8_t* const tiles = shared + align_pad + StemStage::kWeightBytes + 2 * t.halo_bytes;
  constexpr int kTileBytes = kStemPoolBlockM * BN;

  const int tid = threadIdx.x, lane = tid % 32, warpgroup = tid / kWarpgroupThreads;
  const int warp_row = warpgroup * StemTile::kWarpgroupRows + (tid % kWarpgroupThreads) / 32 * 16;
  const int image = static_cast<int>(blockIdx.x) / t.strips, strip = static_cast<int>(blockIdx.x) % t.strips;
  const int p0 = strip * t.strip_rows;
  const int p_end = p0 + t.strip_rows < t.pool_h ? p0 + t.strip_rows : t.pool_h;
  // Step j computes conv rows 2 (p0 + j) and 2 (p0 + j) + 1 into tile (j - first) % 3, from halo
  // buffer (j - first) % 2; pooled row p0 + j is made from it and the tile before (j >= 0).
  const int first = p0 == 0 ? 0 : -1, last = p_end - p0 - 1;
  const auto tile_of = [&](int j) { return tiles + (j - first + kStemPoolTiles) % kStemPoolTiles * kTileBytes; };

  // Pooled row p: conv rows 2p - 1 (the tile before's row 1; none for p = 0), 2p and 2p + 1 (the
  // step's rows 0 and 1; none past OH), columns 2q - 1 .. 2q + 1 inside the row. One thread a
  // 16-channel chunk of a pooled pixel; the tiles hold the chunks in the stored order, whose
  // bytewise maximum natural_order puts back.
  const int q = tid / (BN / kVectorBytes), chunk = tid % (BN / kVectorBytes);
  const bool pools = q < t.pool_w && chunk * kVectorBytes < c.out_channels;
  const auto pool_row = [&](int j) {
    const int p = p0 + j;
    const int8_t* const tile = tile_of(j);
    const int8_t* const above = tile_of(j - 1);
    const bool has_above = p > 0, has_below = 2 * p + 1 < c.out_h;
    const auto at = [&](const int8_t* from, int row, int col) {
      return *reinterpret_cast<const uint4*>(from +
                                             fragment_chunk_offset<BN>(row * kStemPoolMaxRowPixels + col, chunk));
    };
    uint4 m = at(tile, 0, 2 * q);
#pragma unroll
    for (int dx = -1; dx <= 1; ++dx) {
      const int col = 2 * q + dx;
      if (col < 0 || col >= c.out_w) continue;
      if (dx != 0) m = max_bytes(m, at(tile, 0, col));
      if (has_above) m = max_bytes(m, at(above, 1, col));
      if (has_below) m = max_bytes(m, at(tile, 1, col));
    }
    *reinterpret_cast<uint4*>(y + (static_cast<int64_t>(image * t.pool_h + p) * t.pool_w + q) * c.out_channels +
                              chunk * kVectorBytes) = natural_order(m);
  };

  load_halo_weights<StemStage>(c, w, base, 0, 0, tid);  // constants: no other kernel writes them
  wait_for_prior_grids();  // X and Y belong to other kernels too (dependent_launch.h)
  copy_stem_rows<kStemPoolThreads>(c, x, halo0, image, 2 * (p0 + first), 5, t.halo_row_bytes, tid);
  commit_copies();

  for (int j = first; j <= last; ++j) {
    const int buffer = (j - first) & 1;
    // The step's rows (and, once, the weights) have landed; every thread is past step j - 1: its
    // MMAs read the other halo buffer for the last time, and its epilogue's rows are visible.
    wait_copies<0>();
    fence_shared_for_async_proxy();
    __syncthreads();
    if (j < last) {
      copy_stem_rows<kStemPoolThreads>(c, x, halo0 + (buffer ^ 1) * t.halo_bytes, image, 2 * (p0 + j + 1), 5,
                                       t.halo_row_bytes, tid);
      commit_copies();
    } else {
      allow_dependent_launch();
    }

    int32_t acc[2][kMmas][StemTile::kAccPerMma];
#pragma unroll
    for (int mi = 0; mi < 2; ++mi)
#pragma unroll
      for (int i = 0; i < kMmas; ++i)
#pragma unroll
        for (int v = 0; v < StemTile::kAccPerMma; ++v) {
          acc[mi][i][v] = 0;
          pin(acc[mi][i][v]);  // zeroed before the fence: ptxas fences again where it finds them after
        }
    // Warpgroup g computes conv row g of the step: tap r reads halo row g + r, its m64 mi the
    // pixels 64 mi.. of the row, each k32 32 bytes (two pixels) further on.
    const uint32_t a_row = halo0 + buffer * t.halo_bytes + warpgroup * t.halo_row_bytes;
    wgmma_fence();
#pragma unroll
    for (int tap = 0; tap < StemStage::kTaps; ++tap)
#pragma unroll
      for (int k32 = 0; k32 < 2; ++k32)
#pragma unroll
        for (int mi = 0; mi < 2; ++mi)
          wgmma_m64nk32(acc[mi][0],
                        sliding_rows_descriptor(a_row + tap * t.halo_row_bytes +
                                                mi * kWarpgroupM * kHaloStemPixelStride + k32 * 32),
                        descriptor<StemTile>(base + tap * StemStage::kTapBytes + k32 * 32));
    wgmma_commit();
    // The previous step's pooled row, while the MMAs run: its tiles are neither this step's nor
    // the one its epilogue writes (three tiles in turn).
    if (j - 1 >= 0 && pools) pool_row(j - 1);
    wgmma_wait<0>();
    stage_fragments<kStemPoolBlockM, BN, 2, kMmas, kMmaN>(acc, tile_of(j), c, f, 0, warp_row, lane);
  }
  __syncthreads();
  if (pools) pool_row(last);  // last >= 0: a strip holds at least one pooled row
#endif
}

}  // namespace

}  // namespace kiln::cuda::igemm

namespace kiln::cuda {

cudaError_t prepare_stem_pool_igemm_int8_conv() {
  const cudaError_t e = cudaFuncSetAttribute(igemm::stem_pool_igemm_int8_kernel,
                                             cudaFuncAttributeMaxDynamicSharedMemorySize, kHaloMaxSharedBytes);
  return e != cudaSuccess ? e
                          : cudaFuncSetAttribute(igemm::stem_pool_igemm_int8_kernel,
                                                 cudaFuncAttributePreferredSharedMemoryCarveout,
                                                 cudaSharedmemCarveoutMaxShared);
}

cudaError_t launch_stem_pool_igemm_int8_conv(const IgemmInt8Conv& rows, const StemPoolTiling& tiling,
                                             const int8_t* x, const int8_t* w, const IgemmFolded& f, void* y,
                                             cudaStream_t stream) {
  if (f.channel_pairs == nullptr || f.residual != nullptr || tiling.strip_rows <= 0 ||
      tiling.shared_bytes > kHaloMaxSharedBytes)
    return cudaErrorInvalidValue;
  if (tiling.blocks == 0) return cudaSuccess;
  if (tiling.blocks > std::numeric_limits<int32_t>::max()) return cudaErrorInvalidConfiguration;
  return launch_dependent(igemm::stem_pool_igemm_int8_kernel, dim3(static_cast<unsigned>(tiling.blocks)),
                          dim3(kStemPoolThreads), tiling.shared_bytes, stream, rows, tiling, x, w, f,
                          static_cast<int8_t*>(y));
}

}  // namespace kiln::cuda
