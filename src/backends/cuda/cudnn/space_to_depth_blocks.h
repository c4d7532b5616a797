// The kernel that makes the space-to-depth stem's input blocks (space_to_depth_stem.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include <cuda_runtime.h>

namespace kiln::cuda {

struct SpaceToDepthBlocksArgs {
  const void* x = nullptr;  // [N, H, W, C], channels-last
  void* blocks = nullptr;   // [N, BH, BW, 16]: block (b, a) holds pixels (2b + dy - origin_h, 2a + dx - origin_w)
  int64_t batch = 0, height = 0, width = 0, channels = 0;
  int64_t block_h = 0, block_w = 0, origin_h = 0, origin_w = 0;
  size_t element_size = 2;  // 1 (int8), 2 (FP16/BF16) or 4 (FP32): values are copied, never computed
};

cudaError_t launch_space_to_depth_blocks(const SpaceToDepthBlocksArgs& args, cudaStream_t stream);

}  // namespace kiln::cuda
