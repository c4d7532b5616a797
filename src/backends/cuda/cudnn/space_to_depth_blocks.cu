#include "backends/cuda/cudnn/space_to_depth_blocks.h"

namespace kiln::cuda {

namespace {

constexpr int kPixelChannels = 4, kBlockChannels = 16;

// One thread per block: gathers its 2x2 pixels' channels (zeros outside the image and beyond C)
// and writes the block's 16 values with 16-byte stores (one for int8, two or four for wider types).
template <class T>
__global__ void space_to_depth_blocks(SpaceToDepthBlocksArgs a) {
  const int64_t index = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= a.batch * a.block_h * a.block_w) return;
  const int64_t bx = index % a.block_w, by = (index / a.block_w) % a.block_h, n = index / (a.block_w * a.block_h);
  const T* x = static_cast<const T*>(a.x);
  alignas(16) T values[kBlockChannels];
#pragma unroll
  for (int d = 0; d < 4; ++d) {
    const int64_t row = 2 * by + d / 2 - a.origin_h, col = 2 * bx + d % 2 - a.origin_w;
    const bool inside = row >= 0 && row < a.height && col >= 0 && col < a.width;
    const int64_t pixel = ((n * a.height + row) * a.width + col) * a.channels;
#pragma unroll
    for (int c = 0; c < kPixelChannels; ++c) values[d * kPixelChannels + c] = inside && c < a.channels ? x[pixel + c] : T(0);
  }
  uint4* out = reinterpret_cast<uint4*>(static_cast<T*>(a.blocks) + index * kBlockChannels);
  const uint4* in = reinterpret_cast<const uint4*>(values);
#pragma unroll
  for (size_t i = 0; i < sizeof(values) / sizeof(uint4); ++i) out[i] = in[i];
}

}  // namespace

cudaError_t launch_space_to_depth_blocks(const SpaceToDepthBlocksArgs& args, cudaStream_t stream) {
  const int64_t count = args.batch * args.block_h * args.block_w;
  if (count == 0) return cudaSuccess;
  constexpr int kThreads = 256;
  const auto grid = static_cast<unsigned>((count + kThreads - 1) / kThreads);
  if (args.element_size == 1)
    space_to_depth_blocks<uint8_t><<<grid, kThreads, 0, stream>>>(args);
  else if (args.element_size == 2)
    space_to_depth_blocks<uint16_t><<<grid, kThreads, 0, stream>>>(args);
  else if (args.element_size == 4)
    space_to_depth_blocks<uint32_t><<<grid, kThreads, 0, stream>>>(args);
  else
    return cudaErrorInvalidValue;
  return cudaGetLastError();
}

}  // namespace kiln::cuda
