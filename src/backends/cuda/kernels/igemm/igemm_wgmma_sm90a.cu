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

// The tile's body, shared by the plain kernel and the one summing a shortcut convolution
// (Shortcut: sh.conv's steps follow c's, after c's sums are rescaled into sh's units).
template <int Warpgroups, int MmasM, int BN, int StepBytes, bool Shortcut>
__device__ __forceinline__ void wgmma_tile(const IgemmInt8Conv& c, const int8_t* __restrict__ x,
                                           const int8_t* __restrict__ w, const QuantizedEpilogue& e,
                                           const IgemmFolded& f, void* y, const IgemmShortcut& sh) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using Tile = WgmmaTile<Warpgroups, MmasM, BN, StepBytes>;
  constexpr int kBlockM = Tile::kBlockM, kMmaN = Tile::kMmaN, kAccPerMma = Tile::kAccPerMma;
  extern __shared__ __align__(16) int8_t shared[];
  const uint32_t align_pad = swizzle_align_pad(shared), shared_base = shared_address(shared) + align_pad;

  const int tid = threadIdx.x, lane = tid % 32, warpgroup = tid / kWarpgroupThreads;
  const int warp_in_group = (tid % kWarpgroupThreads) / 32;
  const int2 origin = tile_origin<kBlockM, BN>(c);
  const int block_m = origin.x, block_n = origin.y;
  typename Tile::Loader loader(c, tid, block_m, block_n);
  // The shortcut's loader: constructed for the plain kernel too, where the compiler drops it.
  typename Tile::Loader shortcut_loader(Shortcut ? sh.conv : c, tid, block_m, block_n);
  const int first_steps = loader.steps, steps = first_steps + (Shortcut ? shortcut_loader.steps : 0);
  const auto place = [](int row, int vector) { return swizzled<StepBytes>(row, vector); };
  // Steps are loaded in order: c's, then the shortcut's.
  auto load_step = [&](int stage, int step) {
    const uint32_t a_tile = shared_base + stage * Tile::kStageBytes;
    if (!Shortcut || step < first_steps)
      loader.load_next(c, x, w, a_tile, a_tile + Tile::kATileBytes, place);
    else
      shortcut_loader.load_next(sh.conv, sh.x, sh.w, a_tile, a_tile + Tile::kATileBytes, place);
  };

  int32_t acc[MmasM][Tile::kMmas][kAccPerMma];
#pragma unroll
  for (int mi = 0; mi < MmasM; ++mi)
#pragma unroll
    for (int i = 0; i < Tile::kMmas; ++i)
#pragma unroll
      for (int v = 0; v < kAccPerMma; ++v) acc[mi][i][v] = 0;

  constexpr int kAhead = kStages - 2;  // steps loaded ahead of the one computed
  wait_for_prior_grids();  // X, the residual and Y belong to other kernels too (dependent_launch.h)
#pragma unroll
  for (int s = 0; s < kAhead; ++s) {
    if (s < steps) load_step(s, s);
    // The residual joins the last prologue group: step 0 does not wait for it.
    if (s == kAhead - 1)
      prefetch_residual<kBlockM, BN, Tile::kThreads>(
          shared_base + Tile::kResidualOffset, c, f, block_m, block_n, tid,
          [](int row, int col) { return fragment_chunk_offset<BN>(row, col / kVectorBytes); });
    commit_copies();
  }
  for (int step = 0; step < steps; ++step) {
    // Step `step`'s copies are done and visible to the async proxy, block-wide; every warpgroup
    // has retired the wgmmas of step - 2, whose stage is refilled next.
    wait_copies<kAhead - 1>();
    fence_shared_for_async_proxy();
    __syncthreads();
    const int next = step + kAhead;
    if (next < steps) load_step(next % kStages, next);
    commit_copies();
    if constexpr (Shortcut) {
      // c's sums are complete: into the shortcut's units before its first MMA adds to them.
      if (step == first_steps) {
        wgmma_wait<0>();
        rescale_fragments<MmasM, Tile::kMmas, kMmaN>(acc, sh.rescale, block_n, lane);
      }
    }

    const uint32_t a_tile =
        shared_base + (step % kStages) * Tile::kStageBytes + warpgroup * Tile::kWarpgroupRows * StepBytes;
    const uint32_t b_tile = shared_base + (step % kStages) * Tile::kStageBytes + Tile::kATileBytes;
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
  allow_dependent_launch();

  wait_copies<0>();
  __syncthreads();  // every warpgroup is done with the pipeline's stages; the residual has landed
  const int warp_row = warpgroup * Tile::kWarpgroupRows + warp_in_group * 16;
  // The folded epilogue from the fragments (igemm_fragment_epilogue.cuh), warp by warp.
  if (f.channel_pairs != nullptr) {
    finish_fragments<kBlockM, BN, MmasM, Tile::kMmas, kMmaN>(acc, shared + align_pad + Tile::kResidualOffset, c, f,
                                                             block_m, block_n, warp_row, lane, y);
    return;
  }
  if constexpr (Shortcut) return;  // the shortcut kernel always folds (launch checks)
  // The general epilogue: stage the sums (igemm_staged_epilogue.cuh) from the wgmma D fragment:
  // registers 4j, 4j + 1 hold row lane / 4 of the warp's 16, channels 8j + 2 * (lane % 4) and the
  // next; 4j + 2, 4j + 3 the same channels of row lane / 4 + 8.
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
  finish_staged_sums<kBlockM, BN, Tile::kThreads>(sums, shared + align_pad + Tile::kResidualOffset, c, e, f, block_m,
                                                  block_n, tid, y);
#endif
}

// MinBlocks: the blocks an SM should hold at once, which caps the registers a thread may use.
template <int Warpgroups, int MmasM, int BN, int StepBytes, int MinBlocks>
__global__ void __launch_bounds__(WgmmaTile<Warpgroups, MmasM, BN, StepBytes>::kThreads, MinBlocks)
    igemm_int8_conv_wgmma_kernel(IgemmInt8Conv c, const int8_t* __restrict__ x, const int8_t* __restrict__ w,
                                 QuantizedEpilogue e, IgemmFolded f, void* y) {
  wgmma_tile<Warpgroups, MmasM, BN, StepBytes, false>(c, x, w, e, f, y, IgemmShortcut{});
}

template <int Warpgroups, int MmasM, int BN, int StepBytes, int MinBlocks>
__global__ void __launch_bounds__(WgmmaTile<Warpgroups, MmasM, BN, StepBytes>::kThreads, MinBlocks)
    igemm_int8_shortcut_wgmma_kernel(IgemmInt8Conv c, const int8_t* __restrict__ x, const int8_t* __restrict__ w,
                                     IgemmShortcut sh, IgemmFolded f, void* y) {
  wgmma_tile<Warpgroups, MmasM, BN, StepBytes, true>(c, x, w, QuantizedEpilogue{}, f, y, sh);
}

template <int Warpgroups, int MmasM, int BN, int StepBytes, int MinBlocks>
TileKernel tile_kernel() {
  using Tile = WgmmaTile<Warpgroups, MmasM, BN, StepBytes>;
  return {igemm_int8_conv_wgmma_kernel<Warpgroups, MmasM, BN, StepBytes, MinBlocks>, Tile::kBlockM, BN,
          Tile::kThreads, Tile::kSharedBytes};
}

// Each tile's instantiation, with the blocks per SM that registers (32, 64 or 128 sums a thread)
// and shared memory allow, handed to `make` (tile_kernel or shortcut_tile_kernel).
template <template <int, int, int, int, int> class Make>
auto kernel_of_tile(IgemmTile tile) {
  switch (tile) {
    case IgemmTile::k128x128x64_wgmma: return Make<2, 1, 128, 64, 2>::get();
    case IgemmTile::k64x64x64_wgmma: return Make<1, 1, 64, 64, 4>::get();
    case IgemmTile::k64x128x64_wgmma: return Make<1, 1, 128, 64, 3>::get();
    case IgemmTile::k64x256x64_wgmma: return Make<1, 1, 256, 64, 2>::get();
    case IgemmTile::k128x64x64_wgmma: return Make<1, 2, 64, 64, 3>::get();
    default: return decltype(Make<1, 1, 64, 64, 4>::get()){};
  }
}
template <int Warpgroups, int MmasM, int BN, int StepBytes, int MinBlocks>
struct PlainKernel {
  static TileKernel get() { return tile_kernel<Warpgroups, MmasM, BN, StepBytes, MinBlocks>(); }
};
template <int Warpgroups, int MmasM, int BN, int StepBytes, int MinBlocks>
struct ShortcutKernel {
  static ShortcutTileKernel get() {
    using Tile = WgmmaTile<Warpgroups, MmasM, BN, StepBytes>;
    return {igemm_int8_shortcut_wgmma_kernel<Warpgroups, MmasM, BN, StepBytes, MinBlocks>, Tile::kBlockM, BN,
            Tile::kThreads, Tile::kSharedBytes};
  }
};

}  // namespace

TileKernel wgmma_tile_kernel(IgemmTile tile) { return kernel_of_tile<PlainKernel>(tile); }
ShortcutTileKernel wgmma_shortcut_tile_kernel(IgemmTile tile) { return kernel_of_tile<ShortcutKernel>(tile); }

}  // namespace kiln::cuda::igemm
