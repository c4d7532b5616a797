// The sort both NMS kernels start with, and the workspace they share. Each score becomes a
// 64-bit key: its group (segment) in the high 32 bits, its score as bits that sort descending in
// the low 32 (candidates failing the score threshold get the largest low bits, so they sort
// last). A stable radix sort of the keys, with the scores' flat indices as values, leaves every
// group contiguous, best first, ties in index order: the order the reference kernels sort in.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace kiln::cuda::detection {

// Bits of the key the sort looks at, for `segments` groups.
int candidate_key_bits(int64_t segments);

// Temporary storage cub's radix sort needs for n pairs.
cudaError_t candidate_sort_temp_bytes(int64_t n, int end_bit, size_t* bytes);
// Stable ascending sort of n (key, value) pairs by the keys' bits [0, end_bit).
cudaError_t sort_candidates(void* temp, size_t temp_bytes, const uint64_t* keys_in, uint64_t* keys_out,
                            const int32_t* values_in, int32_t* values_out, int64_t n, int end_bit,
                            cudaStream_t stream);

// Device memory for one NMS run, carved from the layer's workspace: the sort's input and output,
// per segment the kept candidates (their flat indices and boxes) and their count, and cub's temp.
struct NmsBuffers {
  uint64_t* keys_in = nullptr;
  uint64_t* keys_out = nullptr;
  int32_t* values_in = nullptr;
  int32_t* values_out = nullptr;
  int32_t* kept_ids = nullptr;  // [segments, capacity]
  void* kept_boxes = nullptr;   // [segments, capacity] boxes of box_bytes
  int32_t* kept_count = nullptr;  // [segments]
  int64_t* offsets = nullptr;     // [segments], where each segment's selections start (ONNX)
  void* sort_temp = nullptr;
  size_t sort_temp_bytes = 0;
};

struct NmsSizes {
  int64_t candidates = 0;  // scores sorted
  int64_t segments = 0;
  int64_t capacity = 0;    // kept slots per segment
  size_t box_bytes = 0;    // one kept box
  size_t sort_temp_bytes = 0;  // set by prepare_nms_sizes
};

// Asks cub for its temp storage (sizes->sort_temp_bytes); once, at create().
cudaError_t prepare_nms_sizes(NmsSizes* sizes);
// The workspace bytes for prepared `sizes`.
size_t nms_workspace_bytes(const NmsSizes& sizes);
// The buffers inside a workspace of nms_workspace_bytes(sizes).
NmsBuffers carve_nms_buffers(const NmsSizes& sizes, void* workspace);

}  // namespace kiln::cuda::detection
