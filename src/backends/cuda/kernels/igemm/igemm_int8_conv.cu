#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <utility>

#include "backends/cuda/kernels/igemm/igemm_int8_conv.h"
#include "backends/cuda/kernels/igemm/igemm_staged_epilogue.cuh"
#include "backends/cuda/dependent_launch.h"
#include "backends/cuda/kernels/igemm/igemm_tile_kernel.h"
#include "backends/cuda/kernels/igemm/igemm_tile_loader.cuh"

namespace kiln::cuda {

namespace {

using igemm::TileKernel;

// One reduction step: 64 channels of one tap, two m16n8k32 MMAs deep.
constexpr int kStepBytes = 64;
// Shared rows padded by 16 bytes: the 8 rows one ldmatrix phase reads (80 bytes apart) then start
// on banks 0, 20, 8, 28, 16, 4, 24, 12 and their 16-byte pieces never share a bank.
constexpr int kRowBytes = kStepBytes + 16;

constexpr int kStages = 3;

// A block tile of BM pixels x BN output channels on WarpsM x WarpsN warps.
template <int BM, int BN, int WarpsM, int WarpsN>
struct TileShape {
  static constexpr int kThreads = WarpsM * WarpsN * 32;
  static constexpr int kWarpM = BM / WarpsM, kWarpN = BN / WarpsN;
  static constexpr int kMmaM = kWarpM / 16, kMmaN = kWarpN / 8;  // m16n8 MMAs per warp
  using Loader = igemm::TileLoader<kThreads, BM, BN, kStepBytes>;
  static constexpr int kStageBytes = (BM + BN) * kRowBytes;
  // The epilogue stages the block's int32 sums in the same shared memory.
  static constexpr int kSumBytes = igemm::staged_sum_bytes<BM, BN>();
  static constexpr int kResidualOffset = kStages * kStageBytes > kSumBytes ? kStages * kStageBytes : kSumBytes;
  static constexpr int kSharedBytes = kResidualOffset + igemm::staged_residual_bytes<BM, BN>();
  static_assert(kWarpM % 16 == 0 && kWarpN % 16 == 0, "a warp covers whole m16 tiles and pairs of n8 tiles");
};

// Four 8x16-byte matrices from shared memory; lane l gives the row address of matrix l / 8 and
// receives, from each matrix, the 4 bytes at row l / 4, bytes 4 * (l % 4).
__device__ __forceinline__ void load_matrices(uint32_t (&r)[4], uint32_t address) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address));
}

// acc += A (16x32, row-major) * B (32x8, column-major), int8 in, exact int32 sums.
__device__ __forceinline__ void mma_int8(int32_t (&acc)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+r"(acc[0]), "+r"(acc[1]), "+r"(acc[2]), "+r"(acc[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

template <int BM, int BN, int WarpsM, int WarpsN>
__global__ void __launch_bounds__(TileShape<BM, BN, WarpsM, WarpsN>::kThreads)
    igemm_int8_conv_kernel(IgemmInt8Conv c, const int8_t* __restrict__ x, const int8_t* __restrict__ w,
                           QuantizedEpilogue e, IgemmFolded f, void* y) {
  using Tile = TileShape<BM, BN, WarpsM, WarpsN>;
  extern __shared__ __align__(16) int8_t shared[];

  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
  const int warp_m = warp % WarpsM, warp_n = warp / WarpsM;
  const int2 origin = igemm::tile_origin<BM, BN>(c);
  const int block_m = origin.x, block_n = origin.y;
  typename Tile::Loader loader(c, tid, block_m, block_n);
  const int steps = loader.steps;
  const uint32_t shared_base = igemm::shared_address(shared);
  // Rows padded to kRowBytes, A's BM rows then B's BN rows in each stage.
  const auto padded = [](int row, int vector) { return row * kRowBytes + vector * igemm::kVectorBytes; };
  auto load_step = [&](int stage) {
    const uint32_t a_tile = shared_base + stage * Tile::kStageBytes;
    loader.load_next(c, x, w, a_tile, a_tile + BM * kRowBytes, padded);
  };

  int32_t acc[Tile::kMmaM][Tile::kMmaN][4];
#pragma unroll
  for (int i = 0; i < Tile::kMmaM; ++i)
#pragma unroll
    for (int j = 0; j < Tile::kMmaN; ++j)
#pragma unroll
      for (int v = 0; v < 4; ++v) acc[i][j][v] = 0;

  // ldmatrix row addresses of this lane within a stage. A's four matrices are (rows 0-7, 8-15)
  // x (bytes 0-15, 16-31) of an m16 tile: the a0..a3 fragment registers. B's are (bytes 0-15,
  // 16-31) x (channels 0-7, 8-15) of an n16 pair of tiles: b0, b1 of the first, then the second.
  const int matrix = lane / 8, matrix_row = lane % 8;
  const uint32_t a_lane =
      (warp_m * Tile::kWarpM + (matrix % 2) * 8 + matrix_row) * kRowBytes + (matrix / 2) * igemm::kVectorBytes;
  const uint32_t b_lane = (BM + warp_n * Tile::kWarpN + (matrix / 2) * 8 + matrix_row) * kRowBytes +
                          (matrix % 2) * igemm::kVectorBytes;

#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < steps) load_step(s);
    // The residual joins the last prologue group: step 0 does not wait for it.
    if (s == kStages - 2)
      igemm::prefetch_residual<BM, BN, Tile::kThreads>(shared_base + Tile::kResidualOffset, c, f, block_m, block_n,
                                                        tid);
    igemm::commit_copies();
  }
  for (int step = 0; step < steps; ++step) {
    // Step `step`'s copies are done, and every warp is past step - 1, whose stage is refilled next.
    igemm::wait_copies<kStages - 2>();
    __syncthreads();
    const int next = step + kStages - 1;
    if (next < steps) load_step(next % kStages);
    igemm::commit_copies();

    const uint32_t stage = shared_base + (step % kStages) * Tile::kStageBytes;
#pragma unroll
    for (int k32 = 0; k32 < kStepBytes / 32; ++k32) {
      uint32_t a[Tile::kMmaM][4], b[Tile::kMmaN][2];
#pragma unroll
      for (int i = 0; i < Tile::kMmaM; ++i) load_matrices(a[i], stage + a_lane + i * 16 * kRowBytes + k32 * 32);
#pragma unroll
      for (int j = 0; j < Tile::kMmaN; j += 2) {
        uint32_t r[4];
        load_matrices(r, stage + b_lane + j * 8 * kRowBytes + k32 * 32);
        b[j][0] = r[0];
        b[j][1] = r[1];
        b[j + 1][0] = r[2];
        b[j + 1][1] = r[3];
      }
#pragma unroll
      for (int i = 0; i < Tile::kMmaM; ++i)
#pragma unroll
        for (int j = 0; j < Tile::kMmaN; ++j) mma_int8(acc[i][j], a[i], b[j]);
    }
  }

  // The sums go through shared memory (igemm_staged_epilogue.cuh). Accumulator registers 0, 1
  // hold row lane / 4, channels 2 * (lane % 4) and the next; 2, 3 the same channels of row
  // lane / 4 + 8.
  igemm::wait_copies<0>();
  __syncthreads();  // every warp is done with the pipeline's stages
  int32_t* sums = reinterpret_cast<int32_t*>(shared);
#pragma unroll
  for (int i = 0; i < Tile::kMmaM; ++i)
#pragma unroll
    for (int j = 0; j < Tile::kMmaN; ++j)
#pragma unroll
      for (int half = 0; half < 2; ++half)
        igemm::stage_sum_pair<BN>(sums, warp_m * Tile::kWarpM + i * 16 + lane / 4 + half * 8,
                                  warp_n * Tile::kWarpN + j * 8 + (lane % 4) * 2, acc[i][j][2 * half],
                                  acc[i][j][2 * half + 1]);
  __syncthreads();
  igemm::finish_staged_sums<BM, BN, Tile::kThreads>(sums, shared + Tile::kResidualOffset, c, e, f, block_m, block_n,
                                                   tid, y);
}

template <int BM, int BN, int WarpsM, int WarpsN>
TileKernel tile_kernel() {
  using Tile = TileShape<BM, BN, WarpsM, WarpsN>;
  return {igemm_int8_conv_kernel<BM, BN, WarpsM, WarpsN>, BM, BN, Tile::kThreads, Tile::kSharedBytes};
}

TileKernel kernel_of(IgemmTile tile) {
  switch (tile) {
    case IgemmTile::k128x128: return tile_kernel<128, 128, 2, 4>();
    case IgemmTile::k128x64: return tile_kernel<128, 64, 2, 2>();
    case IgemmTile::k64x64: return tile_kernel<64, 64, 2, 2>();
    default: return igemm::wgmma_tile_kernel(tile);
  }
}

}  // namespace

const char* igemm_tile_name(IgemmTile tile) {
  switch (tile) {
    case IgemmTile::k128x128: return "128x128x64";
    case IgemmTile::k128x64: return "128x64x64";
    case IgemmTile::k64x64: return "64x64x64";
    case IgemmTile::k128x128x64_wgmma: return "128x128x64_wgmma";
    case IgemmTile::k64x64x64_wgmma: return "64x64x64_wgmma";
    case IgemmTile::k64x128x64_wgmma: return "64x128x64_wgmma";
    case IgemmTile::k64x256x64_wgmma: return "64x256x64_wgmma";
    case IgemmTile::k128x64x64_wgmma: return "128x64x64_wgmma";
    case IgemmTile::k128x128x64_wgmma_persistent: return "128x128x64_wgmma_persistent";
    case IgemmTile::k128x64x64_wgmma_persistent: return "128x64x64_wgmma_persistent";
  }
  return "unknown";
}

namespace {

// Lets `kernel` use `shared_bytes` of dynamic shared memory (over the default 48 KiB) and the
// largest carveout, so as many blocks fit on an SM as their shared memory allows.
cudaError_t allow_shared_memory(const void* kernel, int shared_bytes) {
  if (kernel == nullptr) return cudaErrorInvalidValue;
  const cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, shared_bytes);
  return e != cudaSuccess ? e
                          : cudaFuncSetAttribute(kernel, cudaFuncAttributePreferredSharedMemoryCarveout,
                                                 cudaSharedmemCarveoutMaxShared);
}

// The one-dimensional grid of a tile of block_m x block_n outputs (igemm::tile_origin): `tiles`
// blocks, and the geometry launched, whose blocks split their index by its channel tiles. False
// where the grid does not fit in 32 bits.
bool tile_grid(const IgemmInt8Conv& conv, int block_m, int block_n, int64_t& tiles, IgemmInt8Conv& launched) {
  const int64_t m = static_cast<int64_t>(conv.batch) * conv.out_h * conv.out_w;
  const int64_t channel_tiles = (conv.out_channels + block_n - 1) / block_n;
  tiles = (m + block_m - 1) / block_m * channel_tiles;
  launched = conv;
  launched.channel_tiles_divisor = FastDivisor(static_cast<int32_t>(channel_tiles > 0 ? channel_tiles : 1));
  return tiles <= std::numeric_limits<int32_t>::max();
}

// The blocks of `kernel` the current device holds at once, all SMs together; 0 where it cannot
// say. Queried once per kernel and device: launches outside a CUDA graph ask on every inference.
int resident_blocks(const void* kernel, int threads, int shared_bytes) {
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) return 0;
  static std::mutex mutex;
  static std::map<std::pair<const void*, int>, int> known;
  const std::lock_guard<std::mutex> lock(mutex);
  const auto found = known.find({kernel, device});
  if (found != known.end()) return found->second;
  int sms = 0, per_sm = 0;
  if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess ||
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, threads, shared_bytes) != cudaSuccess)
    return 0;
  return known[{kernel, device}] = sms * per_sm;
}

// The blocks a launch of `kernel` has: one a tile, or for a persistent kernel no more than the
// device's SMs hold at once (each block then runs tiles in turn). 0 where the device cannot say.
template <class Kernel>
int64_t grid_blocks(const Kernel& k, int64_t tiles) {
  if (!k.persistent) return tiles;
  return std::min<int64_t>(tiles, resident_blocks(reinterpret_cast<const void*>(k.kernel), k.threads, k.shared_bytes));
}

// Launches k over conv's tiles (tile_grid), args after the geometry: with dependent launch where
// `dependent` (the wgmma kernels, which wait for the kernels before them: dependent_launch.h).
template <class Kernel, class... Args>
cudaError_t launch_tiles(const Kernel& k, const IgemmInt8Conv& conv, bool dependent, cudaStream_t stream,
                         const Args&... args) {
  int64_t tiles = 0;
  IgemmInt8Conv launched;
  if (!tile_grid(conv, k.block_m, k.block_n, tiles, launched)) return cudaErrorInvalidConfiguration;
  if (tiles == 0) return cudaSuccess;
  const int64_t blocks = grid_blocks(k, tiles);
  if (blocks == 0) return cudaErrorInvalidConfiguration;
  const dim3 grid(static_cast<unsigned>(blocks));
  if (dependent) return launch_dependent(k.kernel, grid, dim3(k.threads), k.shared_bytes, stream, launched, args...);
  k.kernel<<<grid, k.threads, k.shared_bytes, stream>>>(launched, args...);
  return cudaGetLastError();
}

// The tile's kernel for a launch: a persistent tile's kernel finishes with the folded epilogue
// only, so a layer that does not fold runs the same tile one block a tile.
TileKernel kernel_for(IgemmTile tile, const IgemmFolded& folded) {
  return kernel_of(folded.channel_pairs == nullptr ? igemm_tile_single_form(tile) : tile);
}

}  // namespace

cudaError_t prepare_igemm_int8_conv(IgemmTile tile) {
  const TileKernel k = kernel_of(tile);
  if (igemm_tile_single_form(tile) != tile) {
    const cudaError_t e = prepare_igemm_int8_conv(igemm_tile_single_form(tile));  // its fallback (kernel_for)
    if (e != cudaSuccess) return e;
  }
  return allow_shared_memory(reinterpret_cast<const void*>(k.kernel), k.shared_bytes);
}

cudaError_t launch_igemm_int8_conv(const IgemmInt8Conv& conv, IgemmTile tile, const int8_t* x, const int8_t* w,
                                   const QuantizedEpilogue& epilogue, const IgemmFolded& folded, void* y,
                                   cudaStream_t stream) {
  const TileKernel k = kernel_for(tile, folded);
  if (k.kernel == nullptr) return cudaErrorInvalidValue;
  return launch_tiles(k, conv, igemm_tile_is_wgmma(tile), stream, x, w, epilogue, folded, y);
}

cudaError_t prepare_igemm_int8_shortcut_conv(IgemmTile tile) {
  const igemm::ShortcutTileKernel k = igemm::wgmma_shortcut_tile_kernel(tile);
  return allow_shared_memory(reinterpret_cast<const void*>(k.kernel), k.shared_bytes);
}

cudaError_t launch_igemm_int8_shortcut_conv(const IgemmInt8Conv& conv, IgemmTile tile, const int8_t* x,
                                            const int8_t* w, const IgemmShortcut& shortcut,
                                            const IgemmFolded& folded, void* y, cudaStream_t stream) {
  const igemm::ShortcutTileKernel k = igemm::wgmma_shortcut_tile_kernel(tile);
  const IgemmInt8Conv& s = shortcut.conv;
  // The shortcut kernel finishes with the folded epilogue only, and both convolutions fill the same tile.
  if (k.kernel == nullptr || folded.channel_pairs == nullptr || folded.residual != nullptr ||
      shortcut.rescale == nullptr || s.batch != conv.batch || s.out_h != conv.out_h || s.out_w != conv.out_w ||
      s.out_channels != conv.out_channels)
    return cudaErrorInvalidValue;
  return launch_tiles(k, conv, /*dependent=*/true, stream, x, w, shortcut, folded, y);
}

}  // namespace kiln::cuda
