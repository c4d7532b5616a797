#include "backends/cuda/kernels/detection/batched_nms.h"
#include "backends/cuda/kernels/detection/nms_common.cuh"

namespace kiln::cuda::detection {

namespace {

constexpr int kBlock = 256;

struct BatchedProblem {
  using Scalar = float;
  const void* boxes;
  RealType box_type;
  int64_t classes;
  bool shared, center;
  float iou;
  int64_t keep;

  // Flat score index (image * B + box) * C + class -> its box.
  __device__ Corners<float> box(int32_t flat) const {
    const int64_t slot = shared ? flat / classes : flat;
    float v[4];
    for (int k = 0; k < 4; ++k) v[k] = load_real(boxes, slot * 4 + k, box_type);
    return center ? kiln::detection::corners_from_center(v[0], v[1], v[2], v[3])
                  : kiln::detection::corners_from_xyxy(v[0], v[1], v[2], v[3]);
  }
  __device__ int64_t keep_limit() const { return keep; }
  __device__ float iou_threshold() const { return iou; }
};

// Keys of scores [N, B, C]: segment (image, class), or the image when class-agnostic.
__global__ void batched_keys_kernel(const void* scores, RealType score_type, float threshold, int64_t n,
                                    int64_t per_image, int64_t classes, bool agnostic, uint64_t* keys, int32_t* values) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float s = load_real(scores, e, score_type);
    const int64_t image = e / per_image;
    keys[e] = candidate_key(agnostic ? image : image * classes + e % classes, s > threshold, s);
    values[e] = static_cast<int32_t>(e);
  }
}

// A kept detection as the detection order compares them.
struct Kept {
  float score;
  int64_t box, cls;
};

__device__ __forceinline__ bool before(const Kept& a, const Kept& b) {
  if (a.score != b.score) return a.score > b.score;
  return a.box != b.box ? a.box < b.box : a.cls < b.cls;
}

__device__ __forceinline__ void copy_elements(void* dst, int64_t d, const void* src, int64_t s, int count, int bytes) {
  for (int k = 0; k < count; ++k) {
    if (bytes == 2) static_cast<uint16_t*>(dst)[d + k] = static_cast<const uint16_t*>(src)[s + k];
    else static_cast<uint32_t*>(dst)[d + k] = static_cast<const uint32_t*>(src)[s + k];
  }
}

struct OutputArgs {
  const void* boxes;
  const void* scores;
  RealType score_type;
  int box_bytes, score_bytes;  // element sizes
  int64_t num_boxes, classes, keep;
  bool shared, agnostic;
  const int32_t* kept_ids;
  const int32_t* kept_count;
  int64_t capacity;
  BatchedNmsArgs out;
};

// One block per image: each kept detection's slot is the number of the image's kept detections
// before it; slots past the count are padding.
__global__ void batched_output_kernel(OutputArgs a) {
  const int64_t image = blockIdx.x;
  const int64_t groups = a.agnostic ? 1 : a.classes;
  const int64_t first_segment = a.agnostic ? image : image * a.classes;
  int64_t total = 0;
  for (int64_t g = 0; g < groups; ++g) total += a.kept_count[first_segment + g];
  const int64_t count = total < a.keep ? total : a.keep;
  if (threadIdx.x == 0) a.out.num_detections[image] = static_cast<int32_t>(count);
  auto kept_at = [&](int64_t g, int64_t k) {
    const int64_t flat = a.kept_ids[(first_segment + g) * a.capacity + k];
    return Kept{load_real(a.scores, flat, a.score_type), flat / a.classes % a.num_boxes, flat % a.classes};
  };
  for (int64_t j = threadIdx.x; j < total; j += blockDim.x) {
    int64_t g = 0, k = j;  // entry k of group g
    while (k >= a.kept_count[first_segment + g]) {
      k -= a.kept_count[first_segment + g];
      ++g;
    }
    const Kept d = kept_at(g, k);
    int64_t rank = k;
    for (int64_t other = 0; other < groups && rank < a.keep; ++other) {
      if (other == g) continue;
      int64_t lo = 0, hi = a.kept_count[first_segment + other];  // first of `other` not before d
      while (lo < hi) {
        const int64_t mid = (lo + hi) / 2;
        if (before(kept_at(other, mid), d)) lo = mid + 1;
        else hi = mid;
      }
      rank += lo;
    }
    if (rank >= a.keep) continue;
    const int64_t slot = image * a.keep + rank;
    const int64_t flat = a.kept_ids[(first_segment + g) * a.capacity + k];
    copy_elements(a.out.out_boxes, slot * 4, a.boxes, (a.shared ? flat / a.classes : flat) * 4, 4, a.box_bytes);
    copy_elements(a.out.out_scores, slot, a.scores, flat, 1, a.score_bytes);
    a.out.out_classes[slot] = static_cast<int32_t>(d.cls);
  }
  for (int64_t slot = count + threadIdx.x; slot < a.keep; slot += blockDim.x) {
    const int64_t at = image * a.keep + slot;
    for (int k = 0; k < 4; ++k) {
      if (a.box_bytes == 2) static_cast<uint16_t*>(a.out.out_boxes)[at * 4 + k] = 0;
      else static_cast<uint32_t*>(a.out.out_boxes)[at * 4 + k] = 0;
    }
    if (a.score_bytes == 2) static_cast<uint16_t*>(a.out.out_scores)[at] = 0;
    else static_cast<uint32_t*>(a.out.out_scores)[at] = 0;
    a.out.out_classes[at] = -1;
  }
}

int element_bytes(RealType t) { return t == RealType::kFloat32 ? 4 : 2; }

int64_t group_length(const BatchedNmsShape& p) { return p.class_agnostic ? p.num_boxes * p.num_classes : p.num_boxes; }

}  // namespace

NmsSizes batched_nms_sizes(const BatchedNmsShape& shape) {
  const BatchedNmsShape& p = shape;
  NmsSizes s;
  s.candidates = p.batch * p.num_boxes * p.num_classes;
  s.segments = p.class_agnostic ? p.batch : p.batch * p.num_classes;
  // A group never keeps more than keep_top_k: only its first keep_top_k can reach the output.
  int64_t capacity = group_length(p) < p.keep_top_k ? group_length(p) : p.keep_top_k;
  if (p.top_k > 0 && p.top_k < capacity) capacity = p.top_k;
  s.capacity = capacity;
  s.box_bytes = sizeof(Corners<float>);
  return s;
}

cudaError_t launch_batched_nms(const BatchedNmsShape& shape, const NmsSizes& sizes, const BatchedNmsArgs& args,
                               cudaStream_t stream) {
  const BatchedNmsShape& p = shape;
  if (p.batch == 0) return cudaSuccess;
  const NmsBuffers b = carve_nms_buffers(sizes, args.workspace);
  const int64_t n = sizes.candidates;
  if (n > 0) {
    const int64_t blocks = (n + kBlock - 1) / kBlock;
    batched_keys_kernel<<<static_cast<unsigned>(blocks < 4096 ? blocks : 4096), kBlock, 0, stream>>>(
        args.scores, shape.score_type, p.score_threshold, n, p.num_boxes * p.num_classes, p.num_classes,
        p.class_agnostic, b.keys_in, b.values_in);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return e;
    e = sort_candidates(b.sort_temp, b.sort_temp_bytes, b.keys_in, b.keys_out, b.values_in, b.values_out, n,
                        candidate_key_bits(sizes.segments), stream);
    if (e != cudaSuccess) return e;
  }
  const BatchedProblem problem{args.boxes, shape.box_type, p.num_classes, p.shared_boxes, p.center_boxes,
                               p.iou_threshold, p.keep_top_k};
  GreedyLists<float> lists;
  lists.keys = b.keys_out;
  lists.values = b.values_out;
  lists.segment_length = group_length(p);
  lists.candidate_limit = p.top_k > 0 ? p.top_k : lists.segment_length;
  lists.capacity = sizes.capacity;
  lists.kept_ids = b.kept_ids;
  lists.kept_boxes = static_cast<Corners<float>*>(b.kept_boxes);
  lists.kept_count = b.kept_count;
  if (sizes.segments > 0) greedy_nms_kernel<<<static_cast<unsigned>(sizes.segments), kNmsChunk, 0, stream>>>(problem, lists);
  OutputArgs out{args.boxes, args.scores, shape.score_type, element_bytes(shape.box_type),
                 element_bytes(shape.score_type), p.num_boxes, p.num_classes, p.keep_top_k, p.shared_boxes,
                 p.class_agnostic, b.kept_ids, b.kept_count, sizes.capacity, args};
  batched_output_kernel<<<static_cast<unsigned>(p.batch), kBlock, 0, stream>>>(out);
  return cudaGetLastError();
}

}  // namespace kiln::cuda::detection
