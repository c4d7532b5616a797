// A tile's kernel, its block size and shared memory: what igemm_int8_conv.cu launches, for its own
// mma.sync tiles and for the wgmma tiles compiled apart for sm_90a (igemm_wgmma_sm90a.cu).
#pragma once

#include "backends/cuda/kernels/igemm/igemm_int8_conv.h"

namespace kiln::cuda::igemm {

// persistent: a grid of as many blocks as the SMs hold, each running tiles in turn (the launch
// sizes it); otherwise one block a tile.
struct TileKernel {
  void (*kernel)(IgemmInt8Conv, const int8_t*, const int8_t*, QuantizedEpilogue, IgemmFolded, void*) = nullptr;
  int block_m = 0, block_n = 0, threads = 0, shared_bytes = 0;
  bool persistent = false;
};

// The wgmma tile's kernel, or none (kernel null) for another tile.
TileKernel wgmma_tile_kernel(IgemmTile tile);

// The same tiles summing a shortcut convolution (launch_igemm_int8_shortcut_conv).
struct ShortcutTileKernel {
  void (*kernel)(IgemmInt8Conv, const int8_t*, const int8_t*, IgemmShortcut, IgemmFolded, void*) = nullptr;
  int block_m = 0, block_n = 0, threads = 0, shared_bytes = 0;
  bool persistent = false;
};
ShortcutTileKernel wgmma_shortcut_tile_kernel(IgemmTile tile);

}  // namespace kiln::cuda::igemm
