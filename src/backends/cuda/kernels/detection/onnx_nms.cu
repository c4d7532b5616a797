#include "backends/cuda/kernels/detection/nms_common.cuh"
#include "backends/cuda/kernels/detection/onnx_nms.h"

namespace kiln::cuda::detection {

namespace {

constexpr int kBlock = 256;

// Boxes and thresholds as the reference reads them: every value in double.
struct OnnxProblem {
  using Scalar = double;
  const void* boxes;
  RealType box_type;
  int64_t classes, spatial;
  bool center;
  const int64_t* max_output;
  const void* iou;
  RealType iou_type;

  // Flat score index (batch * classes + class) * spatial + box -> the box, as read_box reads it.
  __device__ Corners<double> box(int32_t flat) const {
    const int64_t batch = flat / (classes * spatial), b = flat % spatial;
    double v[4];
    for (int k = 0; k < 4; ++k) v[k] = static_cast<double>(load_real(boxes, (batch * spatial + b) * 4 + k, box_type));
    return center ? kiln::detection::corners_from_center(v[0], v[1], v[2], v[3])
                  : kiln::detection::corners_from_xyxy(v[1], v[0], v[3], v[2]);
  }
  __device__ int64_t keep_limit() const {
    if (max_output == nullptr) return 0;
    return *max_output < 0 ? 0 : *max_output;
  }
  __device__ double iou_threshold() const { return iou == nullptr ? 0.0 : static_cast<double>(load_real(iou, 0, iou_type)); }
};

// Keys of scores [batches, classes, spatial]: segment (batch, class); a candidate when there is
// no score threshold or the score exceeds it (compared in double, as the reference does).
__global__ void onnx_keys_kernel(const void* scores, RealType score_type, const void* threshold, RealType threshold_type,
                                 int64_t n, int64_t spatial, uint64_t* keys, int32_t* values) {
  const bool thresholded = threshold != nullptr;
  const double t = thresholded ? static_cast<double>(load_real(threshold, 0, threshold_type)) : 0.0;
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float s = load_real(scores, e, score_type);
    keys[e] = candidate_key(e / spatial, !thresholded || static_cast<double>(s) > t, s);
    values[e] = static_cast<int32_t>(e);
  }
}

// Where each (batch, class)'s selections start, and how many there are in all (-1 for an
// iou_threshold outside [0, 1], which the reference refuses). Segments are few: one thread.
__global__ void onnx_offsets_kernel(const int32_t* kept_count, int64_t segments, const void* iou, RealType iou_type,
                                    int64_t* offsets, int64_t* count) {
  int64_t total = 0;
  for (int64_t s = 0; s < segments; ++s) {
    offsets[s] = total;
    total += kept_count[s];
  }
  const double t = iou == nullptr ? 0.0 : static_cast<double>(load_real(iou, 0, iou_type));
  *count = t < 0 || t > 1 ? -1 : total;
}

// One block per (batch, class): its (batch, class, box) rows.
__global__ void onnx_write_kernel(const int32_t* kept_ids, const int32_t* kept_count, const int64_t* offsets,
                                  int64_t capacity, int64_t classes, int64_t spatial, int64_t* selected) {
  const int64_t segment = blockIdx.x;
  const int64_t batch = segment / classes, cls = segment % classes;
  for (int64_t k = threadIdx.x; k < kept_count[segment]; k += blockDim.x) {
    int64_t* row = selected + (offsets[segment] + k) * 3;
    row[0] = batch;
    row[1] = cls;
    row[2] = kept_ids[segment * capacity + k] % spatial;
  }
}

int grid_for(int64_t n) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  return static_cast<int>(blocks < 1 ? 1 : (blocks < 4096 ? blocks : 4096));
}

}  // namespace

NmsSizes onnx_nms_sizes(const OnnxNmsShape& shape) {
  NmsSizes s;
  s.candidates = shape.batches * shape.classes * shape.spatial;
  s.segments = shape.batches * shape.classes;
  s.capacity = shape.capacity;
  s.box_bytes = sizeof(Corners<double>);
  return s;
}

cudaError_t launch_onnx_nms(const OnnxNmsShape& shape, const NmsSizes& sizes, const OnnxNmsArgs& args,
                            cudaStream_t stream) {
  const NmsBuffers b = carve_nms_buffers(sizes, args.workspace);
  const int64_t n = sizes.candidates, segments = sizes.segments;
  if (segments == 0 || shape.spatial == 0) {
    // Nothing to select: only the count (and the threshold check) remain.
    onnx_offsets_kernel<<<1, 1, 0, stream>>>(b.kept_count, 0, args.iou_threshold, shape.iou_type, b.offsets, args.count);
    return cudaGetLastError();
  }
  onnx_keys_kernel<<<grid_for(n), kBlock, 0, stream>>>(args.scores, shape.score_type, args.score_threshold,
                                                       shape.score_threshold_type, n, shape.spatial, b.keys_in,
                                                       b.values_in);
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) return e;
  e = sort_candidates(b.sort_temp, b.sort_temp_bytes, b.keys_in, b.keys_out, b.values_in, b.values_out, n,
                      candidate_key_bits(segments), stream);
  if (e != cudaSuccess) return e;
  const OnnxProblem problem{args.boxes, shape.box_type, shape.classes, shape.spatial, shape.center_point_box,
                            args.max_output_boxes_per_class, args.iou_threshold, shape.iou_type};
  GreedyLists<double> lists;
  lists.keys = b.keys_out;
  lists.values = b.values_out;
  lists.segment_length = shape.spatial;
  lists.candidate_limit = shape.spatial;
  lists.capacity = shape.capacity;
  lists.kept_ids = b.kept_ids;
  lists.kept_boxes = static_cast<Corners<double>*>(b.kept_boxes);
  lists.kept_count = b.kept_count;
  greedy_nms_kernel<<<static_cast<unsigned>(segments), kNmsChunk, 0, stream>>>(problem, lists);
  onnx_offsets_kernel<<<1, 1, 0, stream>>>(b.kept_count, segments, args.iou_threshold, shape.iou_type, b.offsets,
                                           args.count);
  onnx_write_kernel<<<static_cast<unsigned>(segments), 128, 0, stream>>>(b.kept_ids, b.kept_count, b.offsets,
                                                                         shape.capacity, shape.classes, shape.spatial,
                                                                         args.selected);
  return cudaGetLastError();
}

}  // namespace kiln::cuda::detection
