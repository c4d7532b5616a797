// The int8 implicit-GEMM convolution's Hopper tiles: the same addressing (igemm_tile_loader.cuh)
// and staged epilogue (igemm_staged_epilogue.cuh) as the mma.sync tiles, with the main loop on
// warpgroup MMAs, wgmma.mma_async m64n64k32 or m64n128k32 s32.s8.s8, reading both operands from
// shared memory through matrix descriptors.
//
// Why a file of its own: wgmma exists only on the architecture-specific target sm_90a, which no
// other GPU runs, so CMake builds *_sm90a.cu files apart, for 90a only (src/backends/cuda/
// CMakeLists.txt), and the provider offers these tiles on compute capability 9.0 devices only
// (igemm_tile_runs_on). The guard below keeps a compile for any other target an empty kernel.
//
// The tile's layout, descriptors and MMA wrappers are in igemm_wgmma.cuh.
#include <cstdint>

#include "backends/cuda/dependent_launch.h"
#include "backends/cuda/kernels/igemm/igemm_fragment_epilogue.cuh"
#include "backends/cuda/kernels/igemm/igemm_staged_epilogue.cuh"
#include "backends/cuda/kernels/igemm/igemm_tile_kernel.h"
#include "backends/cuda/kernels/igemm/igemm_tile_loader.cuh"
#include "backends/cuda/kernels/igemm/igemm_wgmma.cuh"

namespace kiln::cuda::igemm {

namespace {

// The tiles' body, shared by the plain kernel and the one summing a shortcut convolution
// (Shortcut: sh.conv's steps follow c's, after c's sums are rescaled into sh's units).
//
// Persistent: the block runs tiles blockIdx.x, + gridDim.x, ... in turn (a grid of as many
// blocks as the SMs hold), and its reduction steps form one pipeline across them: the loads of
// the next tile's first steps and its residual are in flight while this tile's last MMAs and its
// epilogue run. Why: a 1x1 layer over 64 to 256 channels has one to four steps a tile, so a block
// that runs one tile spends most of its life waiting for its loads, then its epilogue, with
// nothing else in flight; Nsight Compute showed ResNet-50's 1x1+residual tiles at 33-56% of DRAM
// bandwidth with no eligible warp in 44% of cycles (docs/perf-notes.md, session 11). Otherwise
// (one tile a block) the same code runs once. Persistent tiles finish with the folded epilogue
// only: the general one stages its sums over the pipeline's stages.
template <int Warpgroups, int MmasM, int BN, int StepBytes, bool Shortcut, bool Persistent>
__device__ __forceinline__ void wgmma_tiles(const IgemmInt8Conv& c, const int8_t* __restrict__ x,
                                            const int8_t* __restrict__ w, const QuantizedEpilogue& e,
                                            const IgemmFolded& f, void* y, const IgemmShortcut& sh) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using Tile = WgmmaTile<Warpgroups, MmasM, BN, StepBytes, Persistent ? 2 : 1>;
  constexpr int kBlockM = Tile::kBlockM, kMmaN = Tile::kMmaN, kAccPerMma = Tile::kAccPerMma;
  extern __shared__ __align__(16) int8_t shared[];
  const uint32_t align_pad = swizzle_align_pad(shared), shared_base = shared_address(shared) + align_pad;

  const int tid = threadIdx.x, lane = tid % 32, warpgroup = tid / kWarpgroupThreads;
  const int warp_row = warpgroup * Tile::kWarpgroupRows + (tid % kWarpgroupThreads) / 32 * 16;
  // The block's tiles: blockIdx.x + i * tile_stride for i < block_tiles.
  const int tile_stride = Persistent ? static_cast<int>(gridDim.x) : 0;
  const int block_tiles =
      Persistent ? (tile_count<kBlockM>(c) - static_cast<int>(blockIdx.x) + tile_stride - 1) / tile_stride : 1;
  const auto origin_of = [&](int i) { return tile_origin<kBlockM, BN>(c, static_cast<int>(blockIdx.x) + i * tile_stride); };

  // The producer: the tile whose steps load next (load_tile), its next step, and its loaders.
  int load_tile = 0, load_step = 0;
  int2 load_origin = origin_of(0);
  typename Tile::Loader loader(c, tid, load_origin.x, load_origin.y);
  // The shortcut's loader: constructed for the plain kernel too, where the compiler drops it.
  typename Tile::Loader shortcut_loader(Shortcut ? sh.conv : c, tid, load_origin.x, load_origin.y);
  const int first_steps = loader.steps, steps = first_steps + (Shortcut ? shortcut_loader.steps : 0);
  const int total_steps = block_tiles * steps;
  const auto place = [](int row, int vector) { return swizzled<StepBytes>(row, vector); };
  // Loads the next step into `stage`: a tile's steps in order, c's then the shortcut's.
  auto load_next = [&](int stage) {
    if (Persistent && load_step == steps) {
      load_step = 0;
      load_origin = origin_of(++load_tile);
      loader = typename Tile::Loader(c, tid, load_origin.x, load_origin.y);
      if constexpr (Shortcut) shortcut_loader = typename Tile::Loader(sh.conv, tid, load_origin.x, load_origin.y);
    }
    const uint32_t a_tile = shared_base + stage * Tile::kStageBytes;
    if (!Shortcut || load_step < first_steps)
      loader.load_next(c, x, w, a_tile, a_tile + Tile::kATileBytes, place);
    else
      shortcut_loader.load_next(sh.conv, sh.x, sh.w, a_tile, a_tile + Tile::kATileBytes, place);
    ++load_step;
  };
  // Tile i's staged int8 area: its residual, then its reordered output.
  const auto staged_offset = [](int i) {
    return Tile::kResidualOffset + (i % Tile::kResidualBuffers) * Tile::kResidualBytes;
  };
  const auto prefetch_residual_of = [&](int i) {
    const int2 o = origin_of(i);
    prefetch_residual<kBlockM, BN, Tile::kThreads>(
        shared_base + staged_offset(i), c, f, o.x, o.y, tid,
        [](int row, int col) { return fragment_chunk_offset<BN>(row, col / kVectorBytes); });
  };

  int32_t acc[MmasM][Tile::kMmas][kAccPerMma];
  const auto zero_sums = [&] {
#pragma unroll
    for (int mi = 0; mi < MmasM; ++mi)
#pragma unroll
      for (int i = 0; i < Tile::kMmas; ++i)
#pragma unroll
        for (int v = 0; v < kAccPerMma; ++v) acc[mi][i][v] = 0;
  };
  zero_sums();

  constexpr int kAhead = kStages - 2;  // steps loaded ahead of the one computed
  wait_for_prior_grids();  // X, the residual and Y belong to other kernels too (dependent_launch.h)
#pragma unroll
  for (int s = 0; s < kAhead; ++s) {
    if (s < total_steps) load_next(s);
    // The first tile's residual joins the last prologue group: step 0 does not wait for it.
    if (s == kAhead - 1) prefetch_residual_of(0);
    commit_copies();
  }
  // Copy group g holds step g's loads, and, where step g - kAhead is a tile's first, the next
  // tile's residual (the first tile's: group kAhead - 1). A tile's last step waits for groups up to
  // its own, which covers its residual unless the tiles have a single step: then the residual is in
  // the group of the step after, and that step waits for every group (issued as early anyway).
  const bool wait_all_at_last = steps < 2 && f.residual != nullptr;
  int tile = 0, step = 0;  // the consumer: the tile and its step whose MMAs run next
  for (int g = 0; g < total_steps; ++g) {
    const bool last = step == steps - 1;
    // Step g's copies are done and visible to the async proxy, block-wide; every warpgroup has
    // retired the wgmmas of step g - 2, whose stage is refilled next, and has finished the epilogue
    // of the tile before this one, whose staged area the next residual fills.
    if (last && wait_all_at_last)
      wait_copies<0>();
    else
      wait_copies<kAhead - 1>();
    fence_shared_for_async_proxy();
    __syncthreads();
    if (g + kAhead < total_steps) load_next((g + kAhead) % kStages);
    if (Persistent && step == 0 && tile + 1 < block_tiles) prefetch_residual_of(tile + 1);
    commit_copies();
    if constexpr (Shortcut) {
      // c's sums are complete: into the shortcut's units before its first MMA adds to them.
      if (step == first_steps) {
        wgmma_wait<0>();
        rescale_fragments<MmasM, Tile::kMmas, kMmaN>(acc, sh.rescale, origin_of(tile).y, lane);
      }
    }

    const uint32_t a_tile =
        shared_base + (g % kStages) * Tile::kStageBytes + warpgroup * Tile::kWarpgroupRows * StepBytes;
    const uint32_t b_tile = shared_base + (g % kStages) * Tile::kStageBytes + Tile::kATileBytes;
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
    if (!last) {
      wgmma_wait<1>();
      ++step;
      continue;
    }
    wgmma_wait<0>();
#pragma unroll
    for (int mi = 0; mi < MmasM; ++mi)
#pragma unroll
      for (int i = 0; i < Tile::kMmas; ++i)
#pragma unroll
        for (int v = 0; v < kAccPerMma; ++v) pin(acc[mi][i][v]);
    // One tile a block: its epilogue follows the loop, where the loaders' registers are free.
    if constexpr (!Persistent) break;
    if (tile == block_tiles - 1) allow_dependent_launch();
    // The folded epilogue from the fragments (igemm_fragment_epilogue.cuh), warp by warp.
    const int2 origin = origin_of(tile);
    finish_fragments<kBlockM, BN, MmasM, Tile::kMmas, kMmaN>(acc, shared + align_pad + staged_offset(tile), c, f,
                                                             origin.x, origin.y, warp_row, lane, y);
    zero_sums();
    ++tile;
    step = 0;
  }
  if constexpr (!Persistent) {
    allow_dependent_launch();
    const int2 origin = origin_of(0);
    int8_t* staged = shared + align_pad + staged_offset(0);
    if (f.channel_pairs != nullptr) {
      finish_fragments<kBlockM, BN, MmasM, Tile::kMmas, kMmaN>(acc, staged, c, f, origin.x, origin.y, warp_row, lane,
                                                               y);
      return;
    }
    if constexpr (Shortcut) return;  // the shortcut kernel always folds (launch checks)
    // The general epilogue: stage the sums (igemm_staged_epilogue.cuh) from the wgmma D fragment,
    // over the pipeline's stages: registers 4j, 4j + 1 hold row lane / 4 of the warp's 16,
    // channels 8j + 2 * (lane % 4) and the next; 4j + 2, 4j + 3 the same channels of row lane / 4 + 8.
    wait_copies<0>();
    __syncthreads();  // every warpgroup is done with the pipeline's stages; the residual has landed
    int32_t* sums = reinterpret_cast<int32_t*>(shared + align_pad);
    const int row0 = warp_row + lane / 4;
#pragma unroll
    for (int mi = 0; mi < MmasM; ++mi)
#pragma unroll
      for (int i = 0; i < Tile::kMmas; ++i)
#pragma unroll
        for (int j = 0; j < kMmaN / 8; ++j)
#pragma unroll
          for (int half = 0; half < 2; ++half)
            stage_sum_pair<BN>(sums, row0 + mi * kWarpgroupM + half * 8, i * kMmaN + j * 8 + (lane % 4) * 2,
                               acc[mi][i][4 * j + 2 * half], acc[mi][i][4 * j + 2 * half + 1]);
    __syncthreads();
    finish_staged_sums<kBlockM, BN, Tile::kThreads>(sums, staged, c, e, f, origin.x, origin.y, tid, y);
  }
#endif
}

// MinBlocks: the blocks an SM should hold at once, which caps the registers a thread may use.
template <int Warpgroups, int MmasM, int BN, int StepBytes, int MinBlocks, bool Persistent>
__global__ void __launch_bounds__(WgmmaTile<Warpgroups, MmasM, BN, StepBytes>::kThreads, MinBlocks)
    igemm_int8_conv_wgmma_kernel(IgemmInt8Conv c, const int8_t* __restrict__ x, const int8_t* __restrict__ w,
                                 QuantizedEpilogue e, IgemmFolded f, void* y) {
  wgmma_tiles<Warpgroups, MmasM, BN, StepBytes, false, Persistent>(c, x, w, e, f, y, IgemmShortcut{});
}

template <int Warpgroups, int MmasM, int BN, int StepBytes, int MinBlocks, bool Persistent>
__global__ void __launch_bounds__(WgmmaTile<Warpgroups, MmasM, BN, StepBytes>::kThreads, MinBlocks)
    igemm_int8_shortcut_wgmma_kernel(IgemmInt8Conv c, const int8_t* __restrict__ x, const int8_t* __restrict__ w,
                                     IgemmShortcut sh, IgemmFolded f, void* y) {
  wgmma_tiles<Warpgroups, MmasM, BN, StepBytes, true, Persistent>(c, x, w, QuantizedEpilogue{}, f, y, sh);
}

// Each tile's instantiation, with the blocks per SM that registers (32, 64 or 128 sums a thread)
// and shared memory allow, handed to `make` (PlainKernel or ShortcutKernel).
template <template <int, int, int, int, int, bool> class Make>
auto kernel_of_tile(IgemmTile tile) {
  switch (tile) {
    case IgemmTile::k128x128x64_wgmma: return Make<2, 1, 128, 64, 2, false>::get();
    case IgemmTile::k64x64x64_wgmma: return Make<1, 1, 64, 64, 4, false>::get();
    case IgemmTile::k64x128x64_wgmma: return Make<1, 1, 128, 64, 3, false>::get();
    case IgemmTile::k64x256x64_wgmma: return Make<1, 1, 256, 64, 2, false>::get();
    case IgemmTile::k128x64x64_wgmma: return Make<1, 2, 64, 64, 3, false>::get();
    case IgemmTile::k128x128x64_wgmma_persistent: return Make<2, 1, 128, 64, 2, true>::get();
    case IgemmTile::k128x64x64_wgmma_persistent: return Make<1, 2, 64, 64, 3, true>::get();
    default: return decltype(Make<1, 1, 64, 64, 4, false>::get()){};
  }
}
template <int Warpgroups, int MmasM, int BN, int StepBytes, int MinBlocks, bool Persistent>
struct PlainKernel {
  static TileKernel get() {
    using Tile = WgmmaTile<Warpgroups, MmasM, BN, StepBytes, Persistent ? 2 : 1>;
    return {igemm_int8_conv_wgmma_kernel<Warpgroups, MmasM, BN, StepBytes, MinBlocks, Persistent>, Tile::kBlockM, BN,
            Tile::kThreads, Tile::kSharedBytes, Persistent};
  }
};
template <int Warpgroups, int MmasM, int BN, int StepBytes, int MinBlocks, bool Persistent>
struct ShortcutKernel {
  static ShortcutTileKernel get() {
    using Tile = WgmmaTile<Warpgroups, MmasM, BN, StepBytes, Persistent ? 2 : 1>;
    return {igemm_int8_shortcut_wgmma_kernel<Warpgroups, MmasM, BN, StepBytes, MinBlocks, Persistent>,
            Tile::kBlockM, BN, Tile::kThreads, Tile::kSharedBytes, Persistent};
  }
};

}  // namespace

TileKernel wgmma_tile_kernel(IgemmTile tile) { return kernel_of_tile<PlainKernel>(tile); }
ShortcutTileKernel wgmma_shortcut_tile_kernel(IgemmTile tile) { return kernel_of_tile<ShortcutKernel>(tile); }

}  // namespace kiln::cuda::igemm
