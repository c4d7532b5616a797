#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "backends/cuda/kernels/detection/nms_common.cuh"
#include "backends/cuda/kernels/detection/yolo_decode.h"

namespace kiln::cuda::detection {

namespace {

constexpr int kBlock = 256;

__device__ __forceinline__ void store_real(void* p, int64_t i, RealType t, float v) {
  switch (t) {
    case RealType::kFloat16: static_cast<__half*>(p)[i] = __float2half_rn(v); break;
    case RealType::kBFloat16: static_cast<__nv_bfloat16*>(p)[i] = __float2bfloat16_rn(v); break;
    default: static_cast<float*>(p)[i] = v;
  }
}

__device__ __forceinline__ float sigmoid(float v) { return 1.f / (1.f + expf(-v)); }

__global__ void yolo_decode_kernel(YoloDecodeShape p, YoloDecodeArgs args) {
  const int64_t total = p.batch * p.num_boxes;
  const bool v8 = p.formula == YoloFormula::kV8;
  const int64_t per_anchor = (v8 ? 4 : 5) + p.num_classes;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t n = i / p.num_boxes, box = i % p.num_boxes;
    int l = 0;  // the last level starting at or before `box` (empty levels are skipped)
    while (l + 1 < p.num_levels && box >= p.levels[l + 1].first_box) ++l;
    const YoloLevelShape& level = p.levels[l];
    const void* head = args.heads[l];
    const int64_t plane = level.height * level.width, rest = box - level.first_box;
    const int64_t a = rest / plane, y = rest / level.width % level.height, x = rest % level.width;
    const int64_t base = (n * p.num_anchors + a) * per_anchor * plane + y * level.width + x;
    auto ch = [&](int64_t k) { return load_real(head, base + k * plane, p.type); };
    const float s = level.stride, gx = static_cast<float>(x), gy = static_cast<float>(y);
    float x1, y1, x2, y2;
    if (v8) {
      x1 = (gx + 0.5f - ch(0)) * s, y1 = (gy + 0.5f - ch(1)) * s, x2 = (gx + 0.5f + ch(2)) * s, y2 = (gy + 0.5f + ch(3)) * s;
      for (int64_t c = 0; c < p.num_classes; ++c) store_real(args.scores, i * p.num_classes + c, p.type, sigmoid(ch(4 + c)));
    } else {
      const float aw = level.anchors[2 * a], ah = level.anchors[2 * a + 1];
      float cx, cy, w, h;
      if (p.formula == YoloFormula::kV3) {
        cx = (sigmoid(ch(0)) + gx) * s, cy = (sigmoid(ch(1)) + gy) * s, w = aw * expf(ch(2)), h = ah * expf(ch(3));
      } else {
        const float tw = 2.f * sigmoid(ch(2)), th = 2.f * sigmoid(ch(3));
        cx = (2.f * sigmoid(ch(0)) - 0.5f + gx) * s, cy = (2.f * sigmoid(ch(1)) - 0.5f + gy) * s;
        w = aw * tw * tw, h = ah * th * th;
      }
      x1 = cx - w / 2, y1 = cy - h / 2, x2 = cx + w / 2, y2 = cy + h / 2;
      const float objectness = sigmoid(ch(4));
      for (int64_t c = 0; c < p.num_classes; ++c)
        store_real(args.scores, i * p.num_classes + c, p.type, objectness * sigmoid(ch(5 + c)));
    }
    const float out[4] = {p.center ? (x1 + x2) / 2 : x1, p.center ? (y1 + y2) / 2 : y1, p.center ? x2 - x1 : x2,
                          p.center ? y2 - y1 : y2};
    for (int k = 0; k < 4; ++k) store_real(args.boxes, i * 4 + k, p.type, out[k]);
  }
}

}  // namespace

cudaError_t launch_yolo_decode(const YoloDecodeShape& shape, const YoloDecodeArgs& args, cudaStream_t stream) {
  const int64_t total = shape.batch * shape.num_boxes;
  if (total == 0) return cudaSuccess;
  const int64_t blocks = (total + kBlock - 1) / kBlock;
  yolo_decode_kernel<<<static_cast<unsigned>(blocks < 4096 ? blocks : 4096), kBlock, 0, stream>>>(shape, args);
  return cudaGetLastError();
}

}  // namespace kiln::cuda::detection
