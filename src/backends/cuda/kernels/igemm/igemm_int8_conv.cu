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
  // The epilogue stages the block's int32 sums in the same shared memory, rows padded by 8 words.
  static constexpr int kSumRowWords = BN + 8;
  static constexpr int kSumBytes = BM * kSumRowWords * 4;
  static constexpr int kSharedBytes = kStages * kStageBytes > kSumBytes ? kStages * kStageBytes : kSumBytes;
  static constexpr int kChunk = 16;  // output channels one thread finishes at a time
  static_assert(BN % kChunk == 0, "rows split into whole chunks");
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

// Where a thread's A rows (output pixels) read X: the element offset of each window's origin
// (n, ih0, iw0, 0), which may lie in the padding, and a bit per tap that lands inside the image
// (none for rows past M). Computed once, so a reduction step costs one add and a bit test per row.
template <int Rows>
struct PixelRows {
  int64_t origin[Rows];
  uint64_t taps_inside[Rows];
};

// The epilogue without per-element switches: int8 output, a 16-byte aligned int8 residual or
// none, ReLU or none.
__device__ __forceinline__ bool is_plain_int8_epilogue(const QuantizedEpilogue& e) {
  return e.output_dtype == DataType::kInt8 &&
         (e.residual == nullptr ||
          (e.residual_dtype == DataType::kInt8 && reinterpret_cast<uintptr_t>(e.residual) % 16 == 0)) &&
         !e.activation.gated &&
         (e.activation.kind == ActivationKind::kNone || e.activation.kind == ActivationKind::kRelu);
}

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
  const int taps = c.kernel_h * c.kernel_w;  // at most 64 (the provider checks)
  PixelRows<Tile::kARows> pixels;
#pragma unroll
  for (int j = 0; j < Tile::kARows; ++j) {
    const int m = block_m + load_row + j * Tile::kRowsPerPass;
    const int n = m / out_pixels, p = m % out_pixels;
    const int ih0 = (p / c.out_w) * c.stride_h - c.pad_h, iw0 = (p % c.out_w) * c.stride_w - c.pad_w;
    pixels.origin[j] = (static_cast<int64_t>(n * c.in_h + ih0) * c.in_w + iw0) * c.in_channels;
    uint64_t inside = 0;
    if (m < m_total)
      for (int r = 0, t = 0; r < c.kernel_h; ++r) {
        const int ih = ih0 + r * c.dilation_h;
        for (int q = 0; q < c.kernel_w; ++q, ++t) {
          const int iw = iw0 + q * c.dilation_w;
          if (ih >= 0 && ih < c.in_h && iw >= 0 && iw < c.in_w) inside |= uint64_t{1} << t;
        }
      }
    pixels.taps_inside[j] = inside;
  }
  // And the thread's B rows (output channels): weight row offsets, or -1 past K.
  int64_t filter_row[Tile::kBRows];
#pragma unroll
  for (int j = 0; j < Tile::kBRows; ++j) {
    const int k = block_n + load_row + j * Tile::kRowsPerPass;
    filter_row[j] = k < c.out_channels ? static_cast<int64_t>(k) * taps * c.in_channels : -1;
  }

  const int channel_steps = (c.in_channels + kStepBytes - 1) / kStepBytes;
  const int steps = taps * channel_steps;
  const uint32_t shared_base = shared_address(shared);

  // The next reduction step (tap load_tap, its channels from 64 * load_channel_step) into stage
  // `stage`. Steps are loaded in order, so the tap and its offset in X advance by counting
  // instead of dividing.
  int load_tap = 0, load_channel_step = 0, load_r = 0, load_s = 0;
  auto load_step = [&](int stage) {
    const int channel = load_channel_step * kStepBytes + load_vector * kVectorBytes;
    const bool channel_valid = channel < c.in_channels;
    const int64_t tap_offset =
        (static_cast<int64_t>(load_r * c.dilation_h) * c.in_w + load_s * c.dilation_w) * c.in_channels + channel;
    const int64_t filter_offset = static_cast<int64_t>(load_tap) * c.in_channels + channel;
    const uint32_t a_stage = shared_base + stage * Tile::kStageBytes + load_vector * kVectorBytes;
    const uint32_t b_stage = a_stage + BM * kRowBytes;
#pragma unroll
    for (int j = 0; j < Tile::kARows; ++j) {
      const bool valid = channel_valid && ((pixels.taps_inside[j] >> load_tap) & 1);
      copy_vector(a_stage + (load_row + j * Tile::kRowsPerPass) * kRowBytes,
                  valid ? x + pixels.origin[j] + tap_offset : x, valid);
    }
#pragma unroll
    for (int j = 0; j < Tile::kBRows; ++j) {
      const bool valid = channel_valid && filter_row[j] >= 0;
      copy_vector(b_stage + (load_row + j * Tile::kRowsPerPass) * kRowBytes,
                  valid ? w + filter_row[j] + filter_offset : w, valid);
    }
    if (++load_channel_step == channel_steps) {
      load_channel_step = 0;
      ++load_tap;
      if (++load_s == c.kernel_w) {
        load_s = 0;
        ++load_r;
      }
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
    if (s < steps) load_step(s);
    commit_copies();
  }
  for (int step = 0; step < steps; ++step) {
    // Step `step`'s copies are done, and every warp is past step - 1, whose stage is refilled next.
    wait_copies<kStages - 2>();
    __syncthreads();
    const int next = step + kStages - 1;
    if (next < steps) load_step(next % kStages);
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

  // The sums go through shared memory so that each thread then finishes 16 consecutive channels
  // of one output pixel: 16-byte residual loads and output stores, coalesced across the block,
  // instead of the MMA fragments' scattered pairs. Accumulator registers 0, 1 hold row lane / 4,
  // channels 2 * (lane % 4) and the next; 2, 3 the same channels of row lane / 4 + 8.
  wait_copies<0>();
  __syncthreads();  // every warp is done with the pipeline's stages
  int32_t* sums = reinterpret_cast<int32_t*>(shared);
#pragma unroll
  for (int i = 0; i < Tile::kMmaM; ++i)
#pragma unroll
    for (int j = 0; j < Tile::kMmaN; ++j)
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int row = warp_m * Tile::kWarpM + i * 16 + lane / 4 + half * 8;
        const int col = warp_n * Tile::kWarpN + j * 8 + (lane % 4) * 2;
        *reinterpret_cast<int2*>(sums + row * Tile::kSumRowWords + col) =
            make_int2(acc[i][j][2 * half], acc[i][j][2 * half + 1]);
      }
  __syncthreads();

  constexpr int kChunksPerRow = BN / Tile::kChunk;
  const bool plain = is_plain_int8_epilogue(e);
  for (int chunk = tid; chunk < BM * kChunksPerRow; chunk += Tile::kThreads) {
    const int row = chunk / kChunksPerRow, col = (chunk % kChunksPerRow) * Tile::kChunk;
    const int m = block_m + row, k0 = block_n + col;
    if (m >= m_total || k0 >= c.out_channels) continue;  // K is a multiple of 16: whole chunks
    const int32_t* sum = sums + row * Tile::kSumRowWords + col;
    const int64_t index = static_cast<int64_t>(m) * c.out_channels + k0;
    if (plain) {
      // The same operations, in the same order, as quantized_epilogue_value; a missing bias adds
      // +0, which can only change the sign of a zero sum, and that quantizes to 0.
      alignas(16) int8_t z[Tile::kChunk] = {};
      if (e.residual != nullptr)
        *reinterpret_cast<int4*>(z) = *reinterpret_cast<const int4*>(static_cast<const int8_t*>(e.residual) + index);
      alignas(16) int8_t q[Tile::kChunk];
#pragma unroll
      for (int t = 0; t < Tile::kChunk; ++t) {
        float v = __fmul_rn(static_cast<float>(sum[t]), __ldg(e.channel_scale + k0 + t));
        v = __fadd_rn(v, e.bias != nullptr ? __ldg(e.bias + k0 + t) : 0.f);
        if (e.residual != nullptr) v = __fadd_rn(v, __fmul_rn(static_cast<float>(z[t]), e.residual_scale));
        if (e.activation.kind == ActivationKind::kRelu) v = v < 0.f ? 0.f : v;
        q[t] = device::quantize_int8(v, e.output_scale);
      }
      *reinterpret_cast<int4*>(static_cast<int8_t*>(y) + index) = *reinterpret_cast<const int4*>(q);
    } else {
      for (int t = 0; t < Tile::kChunk; ++t)
        device::store_quantized_output(
            e, device::quantized_epilogue_value(e, static_cast<float>(sum[t]), index + t, k0 + t), index + t, y);
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
