// The wgmma tiles as persistent blocks: as many blocks as fit on the GPU at once, each walking
// the output tiles blockIdx.x, blockIdx.x + gridDim.x, ... with one pipeline that runs on across
// tile boundaries, so the next tiles' X and W rows and the next tile's residual are in flight
// while this tile multiplies and finishes its epilogue.
//
// Why: ResNet-50's 1x1 layers with a residual (a 64-channel 1x1 is one reduction step) write as
// many bytes as they read and spend most of a tile's life in its epilogue. A block per tile loads,
// multiplies and stores in turn, and with two such blocks an SM DRAM stood 37% busy (Nsight
// Compute, docs/perf-notes.md "K4, session 7"). Here the loads for the tiles after this one are
// issued before this tile's epilogue starts.
//
// Same tile sizes, shared-memory layout of the stages, addressing (igemm_tile_loader.cuh),
// descriptors and MMAs (igemm_wgmma.cuh) as igemm_wgmma_sm90a.cu; the folded epilogue only
// (igemm_fragment_epilogue.cuh): the general one stages int32 sums over the stages, which here
// hold the next tiles' loads. Its residual and output staging area is double-buffered: tile i
// finishes in buffer i % 2 while tile i + 1's residual lands in the other.
#include <cstdint>

#include "backends/cuda/kernels/igemm/igemm_fragment_epilogue.cuh"
#include "backends/cuda/kernels/igemm/igemm_tile_kernel.h"
#include "backends/cuda/kernels/igemm/igemm_tile_loader.cuh"
#include "backends/cuda/kernels/igemm/igemm_wgmma.cuh"

namespace kiln::cuda::igemm {

namespace {

template <int Warpgroups, int MmasM, int BN, int StepBytes>
struct PersistentTile : WgmmaTile<Warpgroups, MmasM, BN, StepBytes> {
  using Base = WgmmaTile<Warpgroups, MmasM, BN, StepBytes>;
  static constexpr int kStagedBytes = Base::kBlockM * BN;  // one tile's int8 residual, then its output
  static constexpr int kSharedBytes = Base::kPipelineBytes + 2 * kStagedBytes + kSwizzleAlign;
  static_assert(Base::kPipelineBytes % kSwizzleAlign == 0, "the staging buffers follow the stages");
};

template <int Warpgroups, int MmasM, int BN, int StepBytes, int MinBlocks>
__global__ void __launch_bounds__(WgmmaTile<Warpgroups, MmasM, BN, StepBytes>::kThreads, MinBlocks)
    igemm_int8_conv_wgmma_persistent_kernel(IgemmInt8Conv c, const int8_t* __restrict__ x,
                                            const int8_t* __restrict__ w, QuantizedEpilogue, IgemmFolded f,
                                            void* y) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using Tile = PersistentTile<Warpgroups, MmasM, BN, StepBytes>;
  constexpr int kBlockM = Tile::kBlockM, kMmaN = Tile::kMmaN, kAccPerMma = Tile::kAccPerMma;
  extern __shared__ __align__(16) int8_t shared[];
  const uint32_t align_pad = swizzle_align_pad(shared), shared_base = shared_address(shared) + align_pad;

  const int tid = threadIdx.x, lane = tid % 32, warpgroup = tid / kWarpgroupThreads;
  const int warp_in_group = (tid % kWarpgroupThreads) / 32;
  const int warp_row = warpgroup * Tile::kWarpgroupRows + warp_in_group * 16;
  // Tiles in the order of tile_origin: output channels fastest, so the blocks running together
  // share pixel rows.
  const int n_tiles = (c.out_channels + BN - 1) / BN;
  const int m_total = c.batch * c.out_h * c.out_w;
  const int tiles = (m_total + kBlockM - 1) / kBlockM * n_tiles;
  const int tile_stride = static_cast<int>(gridDim.x);
  const auto origin_of = [n_tiles](int t) { return make_int2(t / n_tiles * kBlockM, t % n_tiles * BN); };

  // The load side: the tile whose steps are being loaded and how many of them are left. It runs
  // kAhead steps ahead of the multiplies, into the next tile and the one after when a tile has
  // fewer steps than that.
  int load_tile = static_cast<int>(blockIdx.x);
  int2 load_origin = origin_of(load_tile);
  typename Tile::Loader loader(c, tid, load_origin.x, load_origin.y);
  const int steps = loader.steps;
  int loads_left = steps;
  const auto place = [](int row, int vector) { return swizzled<StepBytes>(row, vector); };
  const auto load_step = [&](int stage) {
    if (load_tile >= tiles) return;
    const uint32_t a_tile = shared_base + stage * Tile::kStageBytes;
    loader.load_next(c, x, w, a_tile, a_tile + Tile::kATileBytes, place);
    if (--loads_left > 0) return;
    load_tile += tile_stride;
    if (load_tile >= tiles) return;
    load_origin = origin_of(load_tile);
    loader = typename Tile::Loader(c, tid, load_origin.x, load_origin.y);
    loads_left = steps;
  };
  const uint32_t staged_base = shared_base + Tile::kPipelineBytes;
  const auto prefetch_residual_of = [&](int t, int buffer) {
    if (t >= tiles) return;
    const int2 o = origin_of(t);
    prefetch_residual<kBlockM, BN, Tile::kThreads>(
        staged_base + buffer * Tile::kStagedBytes, c, f, o.x, o.y, tid,
        [](int row, int col) { return fragment_chunk_offset<BN>(row, col / kVectorBytes); });
  };

  constexpr int kAhead = kStages - 2;  // steps loaded ahead of the one multiplied
#pragma unroll
  for (int s = 0; s < kAhead; ++s) {
    load_step(s);
    if (s == kAhead - 1) prefetch_residual_of(static_cast<int>(blockIdx.x), 0);
    commit_copies();
  }
  int flat_step = 0;  // steps multiplied so far, over all of this block's tiles: picks the stage
  int buffer = 0;
  for (int t = static_cast<int>(blockIdx.x); t < tiles; t += tile_stride, buffer ^= 1) {
    const int2 origin = origin_of(t);
    int32_t acc[MmasM][Tile::kMmas][kAccPerMma];
#pragma unroll
    for (int mi = 0; mi < MmasM; ++mi)
#pragma unroll
      for (int i = 0; i < Tile::kMmas; ++i)
#pragma unroll
        for (int v = 0; v < kAccPerMma; ++v) acc[mi][i][v] = 0;

    for (int step = 0; step < steps; ++step, ++flat_step) {
      // This step's copies are done and visible to the async proxy, block-wide; every warpgroup
      // has retired the wgmmas of the step two back, whose stage is refilled next, and (at a
      // tile's first step) finished the previous tile's epilogue, whose buffer is refilled next.
      wait_copies<kAhead - 1>();
      fence_shared_for_async_proxy();
      __syncthreads();
      load_step((flat_step + kAhead) % kStages);
      if (step == 0) prefetch_residual_of(t + tile_stride, buffer ^ 1);
      commit_copies();

      const uint32_t stage = shared_base + (flat_step % kStages) * Tile::kStageBytes;
      const uint32_t a_tile = stage + warpgroup * Tile::kWarpgroupRows * StepBytes;
      const uint32_t b_tile = stage + Tile::kATileBytes;
      wgmma_fence();
#pragma unroll
      for (int k32 = 0; k32 < StepBytes / 32; ++k32)
#pragma unroll
        for (int mi = 0; mi < MmasM; ++mi)
#pragma unroll
          for (int i = 0; i < Tile::kMmas; ++i)
            wgmma_m64nk32(acc[mi][i], descriptor<Tile>(a_tile + mi * kWarpgroupM * StepBytes + k32 * 32),
                          descriptor<Tile>(b_tile + i * kMmaN * StepBytes + k32 * 32));
      wgmma_commit();
      wgmma_wait<1>();
    }
    wgmma_wait<0>();
#pragma unroll
    for (int mi = 0; mi < MmasM; ++mi)
#pragma unroll
      for (int i = 0; i < Tile::kMmas; ++i)
#pragma unroll
        for (int v = 0; v < kAccPerMma; ++v) pin(acc[mi][i][v]);

    // This tile's residual was committed with the previous tile's first step (or the prologue):
    // every group but the newest is done, and the barrier makes the other threads' copies visible.
    wait_copies<1>();
    __syncthreads();
    finish_fragments<kBlockM, BN, MmasM, Tile::kMmas, kMmaN>(
        acc, shared + align_pad + Tile::kPipelineBytes + buffer * Tile::kStagedBytes, c, f, origin.x, origin.y,
        warp_row, lane, y);
  }
  wait_copies<0>();  // the groups committed past the last tile are empty; leave none in flight
#endif
}

template <int Warpgroups, int MmasM, int BN, int StepBytes, int MinBlocks>
TileKernel persistent_tile_kernel() {
  using Tile = PersistentTile<Warpgroups, MmasM, BN, StepBytes>;
  TileKernel k{igemm_int8_conv_wgmma_persistent_kernel<Warpgroups, MmasM, BN, StepBytes, MinBlocks>, Tile::kBlockM, BN,
               Tile::kThreads, Tile::kSharedBytes};
  k.persistent = true;
  return k;
}

}  // namespace

TileKernel wgmma_persistent_tile_kernel(IgemmTile tile) {
  switch (tile) {
    case IgemmTile::k128x128x64_wgmma_persistent: return persistent_tile_kernel<2, 1, 128, 64, 2>();
    case IgemmTile::k64x64x64_wgmma_persistent: return persistent_tile_kernel<1, 1, 64, 64, 4>();
    case IgemmTile::k128x64x64_wgmma_persistent: return persistent_tile_kernel<1, 2, 64, 64, 3>();
    default: return {};
  }
}

}  // namespace kiln::cuda::igemm
