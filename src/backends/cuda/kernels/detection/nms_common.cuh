// Device code both NMS kernels share: typed loads, the sort keys (candidate_sort.h) and the
// greedy selection over one sorted segment.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "backends/cuda/kernels/detection/real_type.h"
#include "backends/reference/detection/box_math.h"

namespace kiln::cuda::detection {

using kiln::detection::Corners;

__device__ __forceinline__ float load_real(const void* p, int64_t i, RealType t) {
  switch (t) {
    case RealType::kFloat16: return __half2float(static_cast<const __half*>(p)[i]);
    case RealType::kBFloat16: return __bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]);
    default: return static_cast<const float*>(p)[i];
  }
}

// Low key bits of a candidate's score: ascending bits for descending scores. -0 becomes +0 first,
// since the reference's comparisons treat them as equal.
__device__ __forceinline__ uint32_t descending_score_bits(float score) {
  uint32_t u = __float_as_uint(__fadd_rn(score, 0.0f));
  u = (u & 0x80000000u) != 0 ? ~u : (u | 0x80000000u);  // ascending with the float's value
  return ~u;
}

// The low bits of a score that is not a candidate: after every candidate's.
inline constexpr uint32_t kNotACandidate = 0xFFFFFFFFu;

__device__ __forceinline__ uint64_t candidate_key(int64_t segment, bool candidate, float score) {
  return (static_cast<uint64_t>(segment) << 32) | (candidate ? descending_score_bits(score) : kNotACandidate);
}

// The greedy pass runs one block per segment, over chunks of kNmsChunk sorted candidates: each
// thread tests its candidate against the boxes kept from earlier chunks and against the earlier
// open candidates of its chunk (a bit mask), then one thread walks the chunk in order and keeps
// the candidates no kept box overlaps. The result is the sequential greedy algorithm's exactly.
inline constexpr int kNmsChunk = 256;
inline constexpr int kNmsWords = kNmsChunk / 64;

// Where the greedy pass reads its sorted segments and writes what it keeps.
template <class Scalar>
struct GreedyLists {
  const uint64_t* keys = nullptr;    // sorted keys
  const int32_t* values = nullptr;   // sorted flat score indices
  int64_t segment_length = 0;        // every segment's size
  int64_t candidate_limit = 0;       // at most this many candidates per segment enter (top_k)
  int64_t capacity = 0;              // kept slots per segment
  int32_t* kept_ids = nullptr;       // [segments, capacity]: kept flat score indices, in order
  Corners<Scalar>* kept_boxes = nullptr;
  int32_t* kept_count = nullptr;     // [segments]
};

// Problem: Scalar (the IoU type); __device__ Corners<Scalar> box(int32_t flat_index) const;
// __device__ int64_t keep_limit() const; __device__ Scalar iou_threshold() const.
template <class Problem>
__global__ void __launch_bounds__(kNmsChunk) greedy_nms_kernel(Problem problem, GreedyLists<typename Problem::Scalar> lists) {
  using Scalar = typename Problem::Scalar;
  using Box = Corners<Scalar>;
  const int tid = static_cast<int>(threadIdx.x);
  const int64_t segment = blockIdx.x;
  const int64_t begin = segment * lists.segment_length;
  const int64_t candidates = lists.candidate_limit < lists.segment_length ? lists.candidate_limit : lists.segment_length;
  const int64_t wanted = problem.keep_limit();
  const int64_t limit = wanted < lists.capacity ? wanted : lists.capacity;
  const Scalar threshold = problem.iou_threshold();
  Box* kept_boxes = lists.kept_boxes + segment * lists.capacity;
  int32_t* kept_ids = lists.kept_ids + segment * lists.capacity;

  __shared__ Box chunk_boxes[kNmsChunk];
  __shared__ uint64_t overlaps[kNmsChunk][kNmsWords];  // row t, bit j < t: open j overlaps t
  __shared__ int8_t state[kNmsChunk];  // -1: past the candidates; 0: suppressed already; 1: open
  __shared__ int64_t kept;
  __shared__ bool done;
  if (tid == 0) {
    kept = 0;
    done = limit <= 0;
  }
  __syncthreads();
  for (int64_t start = 0; start < candidates && !done; start += kNmsChunk) {
    const int64_t i = start + tid;
    const bool candidate = i < candidates && static_cast<uint32_t>(lists.keys[begin + i]) != kNotACandidate;
    const Box box = candidate ? problem.box(lists.values[begin + i]) : Box{};
    bool open = candidate;
    for (int64_t k = 0; open && k < kept; ++k) open = !(kiln::detection::iou(box, kept_boxes[k]) > threshold);
    chunk_boxes[tid] = box;
    state[tid] = candidate ? (open ? 1 : 0) : -1;
    for (int w = 0; w < kNmsWords; ++w) overlaps[tid][w] = 0;
    __syncthreads();
    if (open)
      for (int j = 0; j < tid; ++j)
        if (state[j] == 1 && kiln::detection::iou(box, chunk_boxes[j]) > threshold) overlaps[tid][j / 64] |= uint64_t{1} << (j % 64);
    __syncthreads();
    if (tid == 0) {
      uint64_t chosen[kNmsWords] = {};
      int64_t count = kept;
      for (int t = 0; t < kNmsChunk; ++t) {
        if (state[t] < 0) {
          done = true;
          break;
        }
        if (state[t] == 0) continue;
        bool suppressed = false;
        for (int w = 0; w < kNmsWords; ++w) suppressed = suppressed || (overlaps[t][w] & chosen[w]) != 0;
        if (suppressed) continue;
        chosen[t / 64] |= uint64_t{1} << (t % 64);
        kept_ids[count] = lists.values[begin + start + t];
        kept_boxes[count] = chunk_boxes[t];
        if (++count >= limit) {
          done = true;
          break;
        }
      }
      kept = count;
    }
    __syncthreads();
  }
  if (tid == 0) lists.kept_count[segment] = static_cast<int32_t>(kept);
}

}  // namespace kiln::cuda::detection
