// The halo-tile int8 3x3 convolution (halo_igemm_int8_conv.h) on Hopper's warpgroup MMAs. Per
// 64-channel chunk a block copies, with cp.async, its halo (the input pixels its output rows read,
// zero-filled in the padding) and the nine taps' B tiles into one pipeline stage; then each warp
// runs the nine taps from there: A from registers, loaded from the halo with ldmatrix (one x4 per
// m64 and k32, each lane addressing its output pixel's halo pixel for the tap), B through the
// descriptors of the swizzled tiles, wgmma.mma_async m64n64k32 or m64n128k32 s32.s8.s8. Two
// stages: chunk c + 1's copies run under chunk c's MMAs. The folded epilogue is the wgmma tiles'
// (igemm_fragment_epilogue.cuh), limited to the tile's whole rows.
//
// A tap of a 3x3, stride 1, pad 1 convolution shifts the output pixel (oh, ow) to the input pixel
// (oh + r - 1, ow + s - 1), which is halo pixel (oh - oh0 + r, ow + s) of a halo whose row 0 is
// input row oh0 - 1 and column 0 input column -1. Row-major output pixels are not one shifted
// window of the halo (the halo's rows are two pixels longer), so A cannot come from shared memory
// through a descriptor: each lane of an ldmatrix names its own row, which is why A goes through
// registers.
//
// sm_90a only, built apart as the other *_sm90a.cu files are (src/backends/cuda/CMakeLists.txt);
// the guard keeps a compile for any other target an empty kernel.
#include <cstdint>
#include <limits>

#include "backends/cuda/kernels/igemm/halo_igemm_int8_conv.h"
#include "backends/cuda/kernels/igemm/igemm_fragment_epilogue.cuh"
#include "backends/cuda/kernels/igemm/igemm_staged_epilogue.cuh"
#include "backends/cuda/kernels/igemm/igemm_tile_loader.cuh"
#include "backends/cuda/kernels/igemm/igemm_wgmma.cuh"

namespace kiln::cuda::igemm {

namespace {

constexpr int kChunkBytes = kHaloChunkChannels;  // int8: a byte a channel
constexpr int kVectorsPerPixel = kChunkBytes / kVectorBytes;

// The tile's sizes and descriptors are the wgmma tiles' (WgmmaTile: 64-byte rows, 64-byte swizzle);
// only the stages differ: the nine taps' B tiles of a chunk, then its halo.
template <int Warpgroups, int MmasM, int BN>
struct HaloStage {
  using Tile = WgmmaTile<Warpgroups, MmasM, BN, kChunkBytes>;
  static constexpr int kTapBytes = BN * kChunkBytes;  // one tap's B tile
  static constexpr int kWeightBytes = kHaloTaps * kTapBytes;
  static_assert(kTapBytes % kSwizzleAlign == 0, "each tap's B tile starts swizzle-aligned");
};

// Copies input channels 64 * chunk.. of the halo and of the nine taps' B tiles into the stage at
// shared address `stage` (1024-byte aligned). B: thread tid copies vector tid % 4 of output
// channels tid / 4 + j * kRowsPerPass, tap after tap (a tap's tile is a whole number of swizzle
// atoms, so a row's swizzle is the same in every tap). The taps are a loop, not unrolled: unrolled,
// the compiler kept every tap's source address in registers across the chunk loop. The halo:
// vectors, then pixels, row by row.
template <int Warpgroups, int MmasM, int BN>
__device__ __forceinline__ void load_chunk(const IgemmInt8Conv& c, const HaloTiling& t, const int8_t* x,
                                           const int8_t* w, uint32_t stage, int chunk, int image, int oh0,
                                           int block_n, int tid) {
  using Stage = HaloStage<Warpgroups, MmasM, BN>;
  constexpr int kThreads = Stage::Tile::kThreads;
  constexpr int kRowsPerPass = kThreads / kVectorsPerPixel;
  static_assert(BN % kRowsPerPass == 0, "the B copies split evenly over the block");
  const int channel = chunk * kChunkBytes, vector = tid % kVectorsPerPixel;
#pragma unroll
  for (int j = 0; j < BN / kRowsPerPass; ++j) {
    const int row = tid / kVectorsPerPixel + j * kRowsPerPass, k = block_n + row;
    const bool valid = k < c.out_channels;  // zeros past K: those columns are never written
    const int8_t* src = w + static_cast<int64_t>(k) * kHaloTaps * c.in_channels + channel + vector * kVectorBytes;
    uint32_t dst = stage + swizzled<kChunkBytes>(row, vector);
#pragma unroll 1
    for (int tap = 0; tap < kHaloTaps; ++tap, src += c.in_channels, dst += Stage::kTapBytes)
      copy_vector(dst, valid ? src : w, valid);
  }
  // Halo pixel (hr, hc) is input pixel (oh0 - 1 + hr, hc - 1); OW = W for these layers.
  const uint32_t halo = stage + Stage::kWeightBytes;
  const int halo_w = c.out_w + 2;
  const int vectors = (t.rows_per_tile + 2) * halo_w * kVectorsPerPixel;
  for (int v = tid; v < vectors; v += kThreads) {
    const int pixel = v / kVectorsPerPixel, vector = v % kVectorsPerPixel;
    const int hr = pixel / halo_w, hc = pixel - hr * halo_w;
    const int ih = oh0 - 1 + hr, iw = hc - 1;
    const bool inside = ih >= 0 && ih < c.in_h && iw >= 0 && iw < c.in_w;
    const int8_t* src = x + (static_cast<int64_t>(image * c.in_h + ih) * c.in_w + iw) * c.in_pixel_stride + channel +
                        vector * kVectorBytes;
    copy_vector(halo + pixel * kHaloPixelBytes + vector * kVectorBytes, inside ? src : x, inside);
  }
}

// MinBlocks: the blocks an SM should hold at once, which caps the registers a thread may use.
template <int Warpgroups, int MmasM, int BN, int MinBlocks>
__global__ void __launch_bounds__(WgmmaTile<Warpgroups, MmasM, BN, kChunkBytes>::kThreads, MinBlocks)
    halo_igemm_int8_conv_kernel(IgemmInt8Conv c, HaloTiling t, const int8_t* __restrict__ x,
                                const int8_t* __restrict__ w, IgemmFolded f, void* y) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using Stage = HaloStage<Warpgroups, MmasM, BN>;
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

  load_chunk<Warpgroups, MmasM, BN>(c, t, x, w, shared_base, 0, image, oh0, block_n, tid);
  // The residual joins chunk 0's copies: the main loop's first wait covers it.
  prefetch_residual<kBlockM, BN, Tile::kThreads>(
      shared_base + staged, c, f, block_m, block_n, tid,
      [](int row, int col) { return fragment_chunk_offset<BN>(row, col / kVectorBytes); }, m_end);
  commit_copies();

  // The halo byte offset of the row this lane hands ldmatrix, per m64: tile pixel p (output pixel
  // (oh0 + p / OW, p % OW)) reads halo pixel (p / OW + r, p % OW + s) at tap (r, s). Matrices 0..3
  // of the x4 are A's rows 0-7 and 8-15 of the warp's 16, bytes 0-15, then bytes 16-31: the
  // registers a[0..3] of the wgmma's A fragment. Rows past the tile's pixels read pixel 0's
  // window (any bytes would do: their sums are never written).
  const int warp_row = warpgroup * Tile::kWarpgroupRows + warp_in_group * 16;
  const int halo_row_bytes = (c.out_w + 2) * kHaloPixelBytes;
  const int tile_pixels = t.rows_per_tile * c.out_w;
  const int matrix = lane / 8;
  uint32_t a_lane[MmasM];
#pragma unroll
  for (int mi = 0; mi < MmasM; ++mi) {
    int p = warp_row + mi * kWarpgroupM + (matrix % 2) * 8 + lane % 8;
    if (p >= tile_pixels) p = 0;
    const int oh = p / c.out_w, ow = p - oh * c.out_w;
    a_lane[mi] = oh * halo_row_bytes + ow * kHaloPixelBytes + (matrix / 2) * kVectorBytes;
  }

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
      load_chunk<Warpgroups, MmasM, BN>(c, t, x, w, shared_base + ((chunk + 1) % 2) * t.stage_bytes, chunk + 1, image,
                                        oh0, block_n, tid);
    }
    commit_copies();  // an empty group on the last chunk keeps the wait below the same
    // This chunk's copies are done and visible to the wgmmas (the async proxy, for B) and to every
    // warp's ldmatrix (the halo), block-wide.
    wait_copies<1>();
    fence_shared_for_async_proxy();
    __syncthreads();

    // The nine taps, A double-buffered in registers: tap t + 1's fragments are loaded into the
    // other buffer while tap t's wgmmas run. A wgmma reads its A registers asynchronously, so they
    // must not change until the wgmma has completed: the buffer tap t + 1 overwrites was last read
    // by tap t - 1's wgmmas, which the wgmma_wait<1> before its loads retires (leaving tap t's in
    // flight). And a wgmma_fence orders each buffer's ldmatrix writes before the wgmmas reading
    // them (the accumulators need no fence between wgmmas of one shape). ptxas checks this
    // pipeline: a warning that it serialized the wgmmas would mean it found a hazard.
    const uint32_t halo = stage + Stage::kWeightBytes;
    uint32_t a[2][MmasM][2][4];  // [buffer][m64][k32][register]
    const auto load_a = [&](uint32_t(&dst)[MmasM][2][4], int tap) {
      const uint32_t tap_offset = tap / 3 * halo_row_bytes + tap % 3 * kHaloPixelBytes;
#pragma unroll
      for (int mi = 0; mi < MmasM; ++mi)
#pragma unroll
        for (int k32 = 0; k32 < 2; ++k32) load_matrices(dst[mi][k32], halo + a_lane[mi] + tap_offset + k32 * 32);
    };
    load_a(a[0], 0);
#pragma unroll
    for (int tap = 0; tap < kHaloTaps; ++tap) {
      wgmma_fence();
      const uint32_t b_tap = stage + tap * Stage::kTapBytes;
#pragma unroll
      for (int k32 = 0; k32 < 2; ++k32)
#pragma unroll
        for (int mi = 0; mi < MmasM; ++mi)
#pragma unroll
          for (int i = 0; i < kMmas; ++i)
            wgmma_m64nk32(acc[mi][i], a[tap % 2][mi][k32],
                          descriptor<Tile>(b_tap + i * kMmaN * kChunkBytes + k32 * 32));
      wgmma_commit();
      if (tap + 1 < kHaloTaps) {
        wgmma_wait<1>();
        load_a(a[(tap + 1) % 2], tap + 1);
      }
    }
    wgmma_wait<0>();
  }
#pragma unroll
  for (int mi = 0; mi < MmasM; ++mi)
#pragma unroll
    for (int i = 0; i < kMmas; ++i)
#pragma unroll
      for (int v = 0; v < Tile::kAccPerMma; ++v) pin(acc[mi][i][v]);

  // The residual landed with chunk 0, before the loop's first barrier; the epilogue's tile lies
  // past the stages, and each warp reorders only its own rows of it: no barrier here.
  finish_fragments<kBlockM, BN, MmasM, kMmas, kMmaN>(acc, shared + align_pad + staged, c, f, block_m, block_n,
                                                     warp_row, lane, y, m_end);
#endif
}

using HaloKernel = void (*)(IgemmInt8Conv, HaloTiling, const int8_t*, const int8_t*, IgemmFolded, void*);

// The kernel of `Tile`, shaped as halo_tile_shape says.
template <HaloTile Tile, int MinBlocks>
HaloKernel kernel_for() {
  constexpr HaloTileShape s = halo_tile_shape(Tile);
  return halo_igemm_int8_conv_kernel<s.warpgroups, s.mmas_m, s.block_n, MinBlocks>;
}

HaloKernel halo_kernel(HaloTile tile) {
  switch (tile) {
    // Blocks per SM as shared memory allows on ResNet-50's layers (docs/architecture.md).
    case HaloTile::k64x64x64: return kernel_for<HaloTile::k64x64x64, 4>();
    case HaloTile::k128x64x64: return kernel_for<HaloTile::k128x64x64, 3>();
    case HaloTile::k256x64x64: return kernel_for<HaloTile::k256x64x64, 2>();
    case HaloTile::k128x128x64: return kernel_for<HaloTile::k128x128x64, 1>();
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

cudaError_t prepare_halo_igemm_int8_conv(HaloTile tile) {
  const igemm::HaloKernel kernel = igemm::halo_kernel(tile);
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
  const igemm::HaloKernel kernel = igemm::halo_kernel(tile);
  if (kernel == nullptr || f.channel_pairs == nullptr || tiling.rows_per_tile <= 0 ||
      tiling.shared_bytes > kHaloMaxSharedBytes)
    return cudaErrorInvalidValue;
  if (tiling.blocks == 0) return cudaSuccess;
  if (tiling.blocks > std::numeric_limits<int32_t>::max()) return cudaErrorInvalidConfiguration;
  kernel<<<static_cast<unsigned>(tiling.blocks), halo_tile_shape(tile).threads(), tiling.shared_bytes, stream>>>(
      conv, tiling, x, w, f, y);
  return cudaGetLastError();
}

}  // namespace kiln::cuda
