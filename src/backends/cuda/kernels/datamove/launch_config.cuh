// Grid sizing shared by the data-movement kernels: grid-stride loops over at most kMaxBlocks
// blocks, with 32-bit index math when every index stays far from overflow.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

namespace kiln::cuda::datamove {

inline constexpr int kThreads = 256;
inline constexpr int64_t kMaxBlocks = 65536;

inline unsigned grid_blocks(int64_t count) {
  return static_cast<unsigned>(std::clamp<int64_t>((count + kThreads - 1) / kThreads, 1, kMaxBlocks));
}

// True when indices up to `bound` (plus one grid stride) fit int32_t.
inline bool fits_int32(int64_t bound) { return bound < (int64_t{1} << 30); }

// Calls fn(Word{}) with the unsigned word of `bytes` bytes; cudaErrorInvalidValue for other sizes.
template <class Fn>
cudaError_t with_word(int bytes, Fn&& fn) {
  switch (bytes) {
    case 1: return fn(uint8_t{});
    case 2: return fn(uint16_t{});
    case 4: return fn(uint32_t{});
    case 8: return fn(uint64_t{});
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace kiln::cuda::datamove
