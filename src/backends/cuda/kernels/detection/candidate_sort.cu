#include <cub/device/device_radix_sort.cuh>

#include "backends/cuda/kernels/detection/candidate_sort.h"

namespace kiln::cuda::detection {

namespace {

size_t align256(size_t n) { return (n + 255) / 256 * 256; }

// Byte offsets of the buffers, in NmsBuffers' order; the last entry is the total.
void layout(const NmsSizes& s, size_t offsets[10]) {
  const auto n = static_cast<size_t>(s.candidates), segs = static_cast<size_t>(s.segments);
  const size_t kept = segs * static_cast<size_t>(s.capacity);
  const size_t sizes[9] = {n * 8, n * 8, n * 4, n * 4, kept * 4, kept * s.box_bytes, segs * 4, segs * 8, s.sort_temp_bytes};
  offsets[0] = 0;
  for (int i = 0; i < 9; ++i) offsets[i + 1] = offsets[i] + align256(sizes[i]);
}

}  // namespace

int candidate_key_bits(int64_t segments) {
  int bits = 0;
  while (bits < 32 && (int64_t{1} << bits) < segments) ++bits;
  return 32 + bits;
}

cudaError_t candidate_sort_temp_bytes(int64_t n, int end_bit, size_t* bytes) {
  *bytes = 0;
  return cub::DeviceRadixSort::SortPairs(nullptr, *bytes, static_cast<const uint64_t*>(nullptr),
                                         static_cast<uint64_t*>(nullptr), static_cast<const int32_t*>(nullptr),
                                         static_cast<int32_t*>(nullptr), n, 0, end_bit);
}

cudaError_t sort_candidates(void* temp, size_t temp_bytes, const uint64_t* keys_in, uint64_t* keys_out,
                            const int32_t* values_in, int32_t* values_out, int64_t n, int end_bit,
                            cudaStream_t stream) {
  return cub::DeviceRadixSort::SortPairs(temp, temp_bytes, keys_in, keys_out, values_in, values_out, n, 0, end_bit,
                                         stream);
}

cudaError_t prepare_nms_sizes(NmsSizes* sizes) {
  return candidate_sort_temp_bytes(sizes->candidates, candidate_key_bits(sizes->segments), &sizes->sort_temp_bytes);
}

size_t nms_workspace_bytes(const NmsSizes& sizes) {
  size_t offsets[10];
  layout(sizes, offsets);
  return offsets[9];
}

NmsBuffers carve_nms_buffers(const NmsSizes& sizes, void* workspace) {
  size_t o[10];
  layout(sizes, o);
  auto* base = static_cast<char*>(workspace);
  NmsBuffers b;
  b.keys_in = reinterpret_cast<uint64_t*>(base + o[0]);
  b.keys_out = reinterpret_cast<uint64_t*>(base + o[1]);
  b.values_in = reinterpret_cast<int32_t*>(base + o[2]);
  b.values_out = reinterpret_cast<int32_t*>(base + o[3]);
  b.kept_ids = reinterpret_cast<int32_t*>(base + o[4]);
  b.kept_boxes = base + o[5];
  b.kept_count = reinterpret_cast<int32_t*>(base + o[6]);
  b.offsets = reinterpret_cast<int64_t*>(base + o[7]);
  b.sort_temp = base + o[8];
  b.sort_temp_bytes = sizes.sort_temp_bytes;
  return b;
}

}  // namespace kiln::cuda::detection
