// The halo-tile int8 convolution (halo_igemm_int8_conv.h) on Hopper's warpgroup MMAs. Per
// 64-channel chunk a block copies, with cp.async, its halo (the input pixels its output rows read,
// zero-filled in the padding) and the taps' B tiles into one pipeline stage; then each warp
// runs the taps from there: A from registers, loaded from the halo with ldmatrix (one x4 per
// m64 and k32, each lane addressing its output pixel's halo pixel for the tap), B through the
// descriptors of the swizzled tiles, wgmma.mma_async m64n64k32 or m64n128k32 s32.s8.s8. Two
// stages: chunk c + 1's copies run under chunk c's MMAs. The folded epilogue is the wgmma tiles'
// (igemm_fragment_epilogue.cuh), limited to the tile's whole rows.
//
// The addressing and the taps' MMAs are halo_mma.cuh's.
//
// sm_90a only, built apart as the other *_sm90a.cu files are (src/backends/cuda/CMakeLists.txt);
// the guard keeps a compile for any other target an empty kernel.
#include <cstdint>
#include <limits>

#include "backends/cuda/dependent_launch.h"
#include "backends/cuda/kernels/igemm/halo_igemm_int8_conv.h"
#include "backends/cuda/kernels/igemm/halo_mma.cuh"
#include "backends/cuda/kernels/igemm/igemm_fragment_epilogue.cuh"
#include "backends/cuda/kernels/igemm/igemm_staged_epilogue.cuh"

namespace kiln::cuda::igemm {

namespace {

// Copies input channels 64 * chunk.. of the taps' B tiles and of the halo into the stage at
// shared address `stage` (1024-byte aligned). The 3x3 halo: vectors, then pixels, row by row; the
// stem's: its rows' bytes as they lie.
template <HaloWindow Window, int Warpgroups, int MmasM, int BN>
__device__ __forceinline__ void load_chunk(const IgemmInt8Conv& c, const HaloTiling& t, const int8_t* x,
                                           const int8_t* w, uint32_t stage, int chunk, int image, int oh0,
                                           int block_n, int tid) {
  using Stage = HaloStage<Window, Warpgroups, MmasM, BN>;
  constexpr int kThreads = Stage::Tile::kThreads;
  load_halo_weights<Stage>(c, w, stage, chunk, block_n, tid);
  const uint32_t halo = stage + Stage::kWeightBytes;
  if constexpr (Window == HaloWindow::kStemRows4) {
    copy_stem_rows<kThreads>(c, x, halo, image, oh0, t.rows_per_tile + 3, t.halo_row_bytes, tid);
    return;
  }
  // Halo pixel (hr, hc) is input pixel (oh0 - 1 + hr, hc - 1); OW = W for these layers.
  const int channel = chunk * kHaloChunkBytes;
  const int halo_w = c.out_w + 2;
  const int vectors = (t.rows_per_tile + 2) * halo_w * kHaloVectorsPerPixel;
  for (int v = tid; v < vectors; v += kThreads) {
    const int pixel = v / kHaloVectorsPerPixel, vector = v % kHaloVectorsPerPixel;
    const int hr = pixel / halo_w, hc = pixel - hr * halo_w;
    const int ih = oh0 - 1 + hr, iw = hc - 1;
    const bool inside = ih >= 0 && ih < c.in_h && iw >= 0 && iw < c.in_w;
    const int8_t* src = x + (static_cast<int64_t>(image * c.in_h + ih) * c.in_w + iw) * c.in_pixel_stride + channel +
                        vector * kVectorBytes;
    copy_vector(halo + pixel * kHaloPixelBytes + vector * kVectorBytes, inside ? src : x, inside);
  }
}

// MinBlocks: the blocks an SM should hold at once, which caps the registers a thread may use.
template <HaloWindow Window, int Warpgroups, int MmasM, int BN, int MinBlocks>
__global__ void __launch_bounds__(WgmmaTile<Warpgroups, MmasM, BN, kHaloChunkBytes>::kThreads, MinBlocks)
    halo_igemm_int8_conv_kernel(IgemmInt8Conv c, HaloTiling t, const int8_t* __restrict__ x,
                                const int8_t* __restrict__ w, IgemmFolded f, void* y) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using Stage = HaloStage<Window, Warpgroups, MmasM, BN>;
  using Tile = typename Stage::Tile;
  constexpr int kBlockM = Tile::kBlockM, kMmaN = Tile::kMmaN, kMmas = Tile::kMmas;
  extern __shared__ __align__(16) int8_t shared[];
  const uint32_t align_pad = swizzle_align_pad(shared), shared_base = shared_address(shared) + align_pad;

  const int tid = threadIdx.x, lane = tid % 32, warpgroup = tid / kWarpgroupThreads;
  const int warp_in_group = (tid % kWarpgroupThreads) / 32;

  const HaloBlock block = halo_block(t, c, BN, static_cast<int>(blockIdx.x));
  const int image = block.image, oh0 = block.oh0, block_n = block.block_n;
  const int block_m = block.block_m, m_end = block.m_end;
  const int staged = t.stages * t.stage_bytes;  // offset of the epilogue's int8 tile

  wait_for_prior_grids();  // X, the residual and Y belong to other kernels too (dependent_launch.h)
  load_chunk<Window, Warpgroups, MmasM, BN>(c, t, x, w, shared_base, 0, image, oh0, block_n, tid);
  // The residual joins chunk 0's copies: the main loop's first wait covers it.
  prefetch_residual<kBlockM, BN, Tile::kThreads>(
      shared_base + staged, c, f, block_m, block_n, tid,
      [](int row, int col) { return fragment_chunk_offset<BN>(row, col / kVectorBytes); }, m_end);
  commit_copies();

  const int warp_row = warpgroup * Tile::kWarpgroupRows + warp_in_group * 16;
  uint32_t a_lane[MmasM];
  halo_lane_rows<Window>(a_lane, c, t.halo_row_bytes, t.rows_per_tile * c.out_w, warp_row, lane);

  int32_t acc[MmasM][kMmas][Tile::kAccPerMma];
#pragma unroll
  for (int mi = 0; mi < MmasM; ++mi)
#pragma unroll
    for (int i = 0; i < kMmas; ++i)
#pragma unroll
      for (int v = 0; v < Tile::kAccPerMma; ++v) acc[mi][i][v] = 0;

  for (int chunk = 0; chunk < t.chunks; ++chunk) {
    const uint32_t stage = shared_base + (chunk % 2) * t.stage_bytes;
    if (chunk + 1 < t.chunks) {
      // Chunk c + 1 refills the stage chunk c - 1 used: every warp has retired its wgmmas on it
      // (the wgmma_wait<0> ending each chunk) and finished its ldmatrix reads.
      if (chunk > 0) __syncthreads();
      load_chunk<Window, Warpgroups, MmasM, BN>(c, t, x, w, shared_base + ((chunk + 1) % 2) * t.stage_bytes, chunk + 1,
                                                image, oh0, block_n, tid);
    }
    commit_copies();  // an empty group on the last chunk keeps the wait below the same
    // This chunk's copies are done and visible to the wgmmas (the async proxy, for B) and to every
    // warp's ldmatrix (the halo), block-wide.
    wait_copies<1>();
    fence_shared_for_async_proxy();
    __syncthreads();

    run_halo_taps<Window, Stage>(acc, stage, stage + Stage::kWeightBytes, a_lane, t.halo_row_bytes);
  }
#pragma unroll
  for (int mi = 0; mi < MmasM; ++mi)
#pragma unroll
    for (int i = 0; i < kMmas; ++i)
#pragma unroll
      for (int v = 0; v < Tile::kAccPerMma; ++v) pin(acc[mi][i][v]);
  allow_dependent_launch();

  // The residual landed with chunk 0, before the loop's first barrier; the epilogue's tile lies
  // past the stages, and each warp reorders only its own rows of it: no barrier here.
  finish_fragments<kBlockM, BN, MmasM, kMmas, kMmaN>(acc, shared + align_pad + staged, c, f, block_m, block_n,
                                                     warp_row, lane, y, m_end);
#endif
}

using HaloKernel = void (*)(IgemmInt8Conv, HaloTiling, const int8_t*, const int8_t*, IgemmFolded, void*);

// The kernel of the window on `Tile`, shaped as halo_tile_shape says.
template <HaloWindow Window, HaloTile Tile, int MinBlocks>
HaloKernel kernel_for() {
  constexpr HaloTileShape s = halo_tile_shape(Tile);
  return halo_igemm_int8_conv_kernel<Window, s.warpgroups, s.mmas_m, s.block_n, MinBlocks>;
}

HaloKernel halo_kernel(HaloWindow window, HaloTile tile) {
  if (window == HaloWindow::kStemRows4) {
    // ResNet-50's stem (112-pixel rows, 64 channels): one chunk, so no pipeline inside a block;
    // a stage is 16 KiB of weights and 7-9 KiB of rows, and more blocks an SM hide each one's
    // copies and epilogue under the others' MMAs.
    switch (tile) {
      case HaloTile::k64x64x64: return kernel_for<HaloWindow::kStemRows4, HaloTile::k64x64x64, 4>();
      case HaloTile::k128x64x64: return kernel_for<HaloWindow::kStemRows4, HaloTile::k128x64x64, 3>();
      case HaloTile::k256x64x64: return kernel_for<HaloWindow::kStemRows4, HaloTile::k256x64x64, 2>();
      case HaloTile::k128x128x64: return kernel_for<HaloWindow::kStemRows4, HaloTile::k128x128x64, 1>();
    }
    return nullptr;
  }
  switch (tile) {
    // Blocks per SM as shared memory allows on ResNet-50's layers (docs/architecture.md).
    case HaloTile::k64x64x64: return kernel_for<HaloWindow::k3x3, HaloTile::k64x64x64, 4>();
    case HaloTile::k128x64x64: return kernel_for<HaloWindow::k3x3, HaloTile::k128x64x64, 3>();
    case HaloTile::k256x64x64: return kernel_for<HaloWindow::k3x3, HaloTile::k256x64x64, 2>();
    case HaloTile::k128x128x64: return kernel_for<HaloWindow::k3x3, HaloTile::k128x128x64, 1>();
  }
  return nullptr;
}

}  // namespace

}  // namespace kiln::cuda::igemm

namespace kiln::cuda {

const char* halo_tile_name(HaloTile tile) {
  switch (tile) {
    case HaloTile::k64x64x64: return "64x64x64_wgmma";
    case HaloTile::k128x64x64: return "128x64x64_wgmma";
    case HaloTile::k256x64x64: return "256x64x64_wgmma";
    case HaloTile::k128x128x64: return "128x128x64_wgmma";
  }
  return "unknown";
}

cudaError_t prepare_halo_igemm_int8_conv(HaloWindow window, HaloTile tile) {
  const igemm::HaloKernel kernel = igemm::halo_kernel(window, tile);
  if (kernel == nullptr) return cudaErrorInvalidValue;
  // The most any layer's tiling may ask for (halo_tile_takes), so one setting serves every layer.
  const cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kHaloMaxSharedBytes);
  // The largest shared-memory carveout, so as many blocks fit on an SM as their shared memory allows.
  return e != cudaSuccess ? e
                          : cudaFuncSetAttribute(kernel, cudaFuncAttributePreferredSharedMemoryCarveout,
                                                 cudaSharedmemCarveoutMaxShared);
}

cudaError_t launch_halo_igemm_int8_conv(const IgemmInt8Conv& conv, HaloTile tile, const HaloTiling& tiling,
                                        const int8_t* x, const int8_t* w, const IgemmFolded& f, void* y,
                                        cudaStream_t stream) {
  const igemm::HaloKernel kernel = igemm::halo_kernel(tiling.window, tile);
  if (kernel == nullptr || f.channel_pairs == nullptr || tiling.rows_per_tile <= 0 ||
      tiling.shared_bytes > kHaloMaxSharedBytes)
    return cudaErrorInvalidValue;
  if (tiling.blocks == 0) return cudaSuccess;
  if (tiling.blocks > std::numeric_limits<int32_t>::max()) return cudaErrorInvalidConfiguration;
  return launch_dependent(kernel, dim3(static_cast<unsigned>(tiling.blocks)), dim3(halo_tile_shape(tile).threads()),
                          tiling.shared_bytes, stream, conv, tiling, x, w, f, y);
}

}  // namespace kiln::cuda
