#include <cstdint>

#include "backends/cuda/cudnn/quantized_epilogue_element.cuh"
#include "backends/cuda/kernels/igemm/igemm_int8_conv.h"

namespace kiln::cuda {

namespace {

// One reduction step: 64 channels of one tap, two m16n8k32 MMAs deep.
constexpr int kStepBytes = 64;
constexpr int kVectorBytes = 16;  // one cp.async
constexpr int kVectorsPerRow = kStepBytes / kVectorBytes;
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
  static constexpr int kRowsPerPass = kThreads / kVectorsPerRow;  // rows one pass of cp.async covers
  static constexpr int kARows = BM / kRowsPerPass, kBRows = BN / kRowsPerPass;  // per thread
  static constexpr int kStageBytes = (BM + BN) * kRowBytes;
  static constexpr int kSharedBytes = kStages * kStageBytes;
  static_assert(kWarpM % 16 == 0 && kWarpN % 16 == 0, "a warp covers whole m16 tiles and pairs of n8 tiles");
  static_assert(BM % kRowsPerPass == 0 && BN % kRowsPerPass == 0, "the loaders cover whole tiles");
};

__device__ __forceinline__ uint32_t shared_address(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16 bytes global -> shared, or 16 zero bytes when !valid (src is then not read).
__device__ __forceinline__ void copy_vector(uint32_t dst, const int8_t* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void commit_copies() { asm volatile("cp.async.commit_group;\n" ::); }
template <int Pending>
__device__ __forceinline__ void wait_copies() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(Pending));
}

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

// Where a thread's A rows (output pixels) read X: the window origin of each, or invalid past M.
template <int Rows>
struct PixelRows {
  int32_t image_row[Rows];  // n * in_h
  int32_t ih0[Rows], iw0[Rows];
  bool valid[Rows];
};

template <int BM, int BN, int WarpsM, int WarpsN>
__global__ void __launch_bounds__(TileShape<BM, BN, WarpsM, WarpsN>::kThreads)
    igemm_int8_conv_kernel(IgemmInt8Conv c, const int8_t* __restrict__ x, const int8_t* __restrict__ w,
                           QuantizedEpilogue e, void* y) {
  using Tile = TileShape<BM, BN, WarpsM, WarpsN>;
  extern __shared__ __align__(16) int8_t shared[];

  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
  const int warp_m = warp % WarpsM, warp_n = warp / WarpsM;
  const int out_pixels = c.out_h * c.out_w;
  const int m_total = c.batch * out_pixels;
  const int block_m = blockIdx.x * BM, block_n = blockIdx.y * BN;

  // The loaders: thread tid copies vector tid % 4 of rows tid / 4 + j * kRowsPerPass.
  const int load_vector = tid % kVectorsPerRow, load_row = tid / kVectorsPerRow;
  PixelRows<Tile::kARows> pixels;
#pragma unroll
  for (int j = 0; j < Tile::kARows; ++j) {
    const int m = block_m + load_row + j * Tile::kRowsPerPass;
    pixels.valid[j] = m < m_total;
    const int n = m / out_pixels, p = m % out_pixels;
    pixels.image_row[j] = n * c.in_h;
    pixels.ih0[j] = (p / c.out_w) * c.stride_h - c.pad_h;
    pixels.iw0[j] = (p % c.out_w) * c.stride_w - c.pad_w;
  }

  const int channel_steps = (c.in_channels + kStepBytes - 1) / kStepBytes;
  const int taps = c.kernel_h * c.kernel_w;
  const int steps = taps * channel_steps;
  const uint32_t shared_base = shared_address(shared);

  // Reduction step `step` (tap step / channel_steps, its channels from 64 * (step % channel_steps))
  // into stage `stage`.
  auto load_step = [&](int step, int stage) {
    const int tap = step / channel_steps;
    const int channel = (step - tap * channel_steps) * kStepBytes + load_vector * kVectorBytes;
    const bool channel_valid = channel < c.in_channels;
    const int dh = (tap / c.kernel_w) * c.dilation_h, dw = (tap % c.kernel_w) * c.dilation_w;
    const uint32_t a_stage = shared_base + stage * Tile::kStageBytes + load_vector * kVectorBytes;
    const uint32_t b_stage = a_stage + BM * kRowBytes;
#pragma unroll
    for (int j = 0; j < Tile::kARows; ++j) {
      const int ih = pixels.ih0[j] + dh, iw = pixels.iw0[j] + dw;
      const bool valid =
          pixels.valid[j] && channel_valid && ih >= 0 && ih < c.in_h && iw >= 0 && iw < c.in_w;
      const int8_t* src =
          valid ? x + (static_cast<int64_t>(pixels.image_row[j] + ih) * c.in_w + iw) * c.in_channels + channel : x;
      copy_vector(a_stage + (load_row + j * Tile::kRowsPerPass) * kRowBytes, src, valid);
    }
#pragma unroll
    for (int j = 0; j < Tile::kBRows; ++j) {
      const int k = block_n + load_row + j * Tile::kRowsPerPass;
      const bool valid = channel_valid && k < c.out_channels;
      const int8_t* src = valid ? w + (static_cast<int64_t>(k) * taps + tap) * c.in_channels + channel : w;
      copy_vector(b_stage + (load_row + j * Tile::kRowsPerPass) * kRowBytes, src, valid);
    }
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
      (warp_m * Tile::kWarpM + (matrix % 2) * 8 + matrix_row) * kRowBytes + (matrix / 2) * kVectorBytes;
  const uint32_t b_lane = (BM + warp_n * Tile::kWarpN + (matrix / 2) * 8 + matrix_row) * kRowBytes +
                          (matrix % 2) * kVectorBytes;

#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < steps) load_step(s, s);
    commit_copies();
  }
  for (int step = 0; step < steps; ++step) {
    // Step `step`'s copies are done, and every warp is past step - 1, whose stage is refilled next.
    wait_copies<kStages - 2>();
    __syncthreads();
    const int next = step + kStages - 1;
    if (next < steps) load_step(next, next % kStages);
    commit_copies();

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

  // Accumulator registers 0, 1 hold row lane / 4, channels 2 * (lane % 4) and the next; 2, 3 the
  // same channels of row lane / 4 + 8. Y is [M, K]: the channel pair is one aligned store.
#pragma unroll
  for (int i = 0; i < Tile::kMmaM; ++i) {
#pragma unroll
    for (int j = 0; j < Tile::kMmaN; ++j) {
      const int k = block_n + warp_n * Tile::kWarpN + j * 8 + (lane % 4) * 2;
      if (k >= c.out_channels) continue;  // K is even, so k + 1 is in range too
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int m = block_m + warp_m * Tile::kWarpM + i * 16 + lane / 4 + half * 8;
        if (m >= m_total) continue;
        const int64_t index = static_cast<int64_t>(m) * c.out_channels + k;
        const float v0 = device::quantized_epilogue_value(e, static_cast<float>(acc[i][j][2 * half]), index, k);
        const float v1 =
            device::quantized_epilogue_value(e, static_cast<float>(acc[i][j][2 * half + 1]), index + 1, k + 1);
        device::store_quantized_output_pair(e, v0, v1, index, y);
      }
    }
  }
}

// The tile's kernel, its block size and shared memory.
struct TileKernel {
  void (*kernel)(IgemmInt8Conv, const int8_t*, const int8_t*, QuantizedEpilogue, void*);
  int block_m, block_n, threads, shared_bytes;
};

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
  }
  return {};
}

}  // namespace

const char* igemm_tile_name(IgemmTile tile) {
  switch (tile) {
    case IgemmTile::k128x128: return "128x128x64";
    case IgemmTile::k128x64: return "128x64x64";
    case IgemmTile::k64x64: return "64x64x64";
  }
  return "unknown";
}

cudaError_t prepare_igemm_int8_conv(IgemmTile tile) {
  const TileKernel k = kernel_of(tile);
  if (k.kernel == nullptr) return cudaErrorInvalidValue;
  return cudaFuncSetAttribute(k.kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, k.shared_bytes);
}

cudaError_t launch_igemm_int8_conv(const IgemmInt8Conv& conv, IgemmTile tile, const int8_t* x, const int8_t* w,
                                   const QuantizedEpilogue& epilogue, void* y, cudaStream_t stream) {
  const TileKernel k = kernel_of(tile);
  if (k.kernel == nullptr) return cudaErrorInvalidValue;
  const int64_t m = static_cast<int64_t>(conv.batch) * conv.out_h * conv.out_w;
  if (m == 0 || conv.out_channels == 0) return cudaSuccess;
  const dim3 grid(static_cast<unsigned>((m + k.block_m - 1) / k.block_m),
                  static_cast<unsigned>((conv.out_channels + k.block_n - 1) / k.block_n));
  k.kernel<<<grid, k.threads, k.shared_bytes, stream>>>(conv, x, w, epilogue, y);
  return cudaGetLastError();
}

}  // namespace kiln::cuda
