// The launchers of Kiln's reduction-family CUDA kernels (reductions, softmax, normalizations,
// pools, CumSum). Host code (providers, in .cc) fills these plain structs at create() and the
// .cu files launch on them; this header stays free of Kiln's heavier headers so nvcc sees little.
// Every launcher is asynchronous on `stream`, allocates nothing, and returns the launch error.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "kiln/data_type.h"

namespace kiln::cuda::reduce {

constexpr int kMaxLayoutDims = 8;

// A tensor seen as groups of elements that fold together: group g's element r lies at
//   offset(g, r) = kept part of g (row-major over kept_dims, strides kept_strides)
//                + reduced part of r (row-major over reduced_dims, strides reduced_strides).
// Adjacent axes of one kind are merged and size-1 axes dropped (group_layout.h builds it), so
// a reduction over trailing axes is one contiguous run per group. Offsets fit in 32 bits.
struct GroupLayout {
  uint32_t groups = 1;  // G: output elements of a reduction
  uint32_t size = 1;    // R: elements per group
  int kept_rank = 0, reduced_rank = 0;
  uint32_t kept_dims[kMaxLayoutDims] = {}, kept_strides[kMaxLayoutDims] = {};
  uint32_t reduced_dims[kMaxLayoutDims] = {}, reduced_strides[kMaxLayoutDims] = {};
  // True when the innermost (stride-1) axis is kept: consecutive groups are then consecutive in
  // memory and threads map to groups (the "column" scheme); else threads share a group's run.
  bool kept_innermost = false;
};

enum class ReduceKind { kSum, kSumSquare, kL1, kL2, kLogSum, kLogSumExp, kMax, kMin, kMean, kProd };

// y[g] = reduction of group g. Float types for every kind; int32/int64 for Sum, Max, Min, Prod.
cudaError_t launch_reduce(ReduceKind kind, DataType dtype, const GroupLayout& layout, const void* x, void* y,
                          cudaStream_t stream);

// y[g] = index r of the largest (smallest) element of group g, ties to the first (last) index.
// The layout must reduce one axis, so that r is the index along it.
cudaError_t launch_arg_reduce(bool max, bool select_last, DataType dtype, const GroupLayout& layout, const void* x,
                              int64_t* y, cudaStream_t stream);

enum class SoftmaxKind { kSoftmax, kLogSoftmax, kHardmax };

// Each group is one softmax row (float types).
cudaError_t launch_softmax(SoftmaxKind kind, DataType dtype, const GroupLayout& layout, const void* x, void* y,
                           cudaStream_t stream);

// Normalization of each group by its own mean and variance:
//   y = (x - mean) * inv_std * scale + bias,
// inv_std = 1 / sqrt(var + epsilon), or 1 / (sqrt(var) + 1e-9) for MeanVarianceNormalization.
struct MomentsNorm {
  enum class Params { kNone, kPerElement, kPerChannel };
  // kPerElement: scale[r] and bias[r] (LayerNormalization); kPerChannel: scale[g % channels]
  // (InstanceNormalization); kNone: scale 1, bias 0.
  Params params = Params::kNone;
  uint32_t channels = 1;
  float epsilon = 0.f;
  bool mvn = false;
  const void* scale = nullptr;  // X's dtype
  const void* bias = nullptr;   // X's dtype; null means 0
  float* mean = nullptr;        // optional per-group outputs (float)
  float* inv_std = nullptr;
};
cudaError_t launch_moments_norm(DataType dtype, const GroupLayout& layout, const MomentsNorm& norm, const void* x,
                                void* y, cudaStream_t stream);

// y = x / ||x||_p over each group (p 1 or 2); a zero group stays zero.
cudaError_t launch_lp_norm(int p, DataType dtype, const GroupLayout& layout, const void* x, void* y,
                           cudaStream_t stream);

// Inference BatchNormalization: y = (x - mean[c]) * scale[c] / sqrt(var[c] + epsilon) + bias[c],
// c = (i / inner) % channels (inner is 1 for channels-last data). Parameters are in X's dtype.
struct BatchNormArgs {
  uint32_t numel = 0, channels = 1, inner = 1;
  float epsilon = 0.f;
  const void *scale = nullptr, *bias = nullptr, *mean = nullptr, *var = nullptr;
};
cudaError_t launch_batch_norm(DataType dtype, const BatchNormArgs& args, const void* x, void* y, cudaStream_t stream);

// LRN over [N, C, inner]: y = x / (bias + alpha / size * sum of x^2 over the channels
// [c - (size - 1) / 2, c + size / 2])^beta.
struct LrnArgs {
  uint32_t numel = 0, channels = 1, inner = 1, size = 1;
  float alpha = 0.f, beta = 0.f, bias = 0.f;
};
cudaError_t launch_lrn(DataType dtype, const LrnArgs& args, const void* x, void* y, cudaStream_t stream);

// A windowed pool over up to 3 spatial axes (1-D and 2-D pools have leading size-1 axes).
struct PoolWindow {
  enum class Kind { kMax, kAverage };
  Kind kind = Kind::kMax;
  bool count_include_pad = false;
  bool channels_last = false;  // X and Y are [N, D, H, W, C] instead of [N, C, D, H, W]
  uint32_t batch = 1, channels = 1;
  uint32_t input[3] = {1, 1, 1}, output[3] = {1, 1, 1}, kernel[3] = {1, 1, 1};
  uint32_t stride[3] = {1, 1, 1}, dilation[3] = {1, 1, 1}, pad_begin[3] = {}, pad_end[3] = {};
};
cudaError_t launch_pool(DataType dtype, const PoolWindow& window, const void* x, void* y, cudaStream_t stream);
// MaxPool in channels-last layout for int8, uint8 and float16 with C a multiple of 16 bytes:
// launch_pool's results (bit for bit, NaN payloads aside) from 16-byte channel vectors max-ed as 32-bit words of
// lanes. Pointers that are not 16-byte aligned get launch_pool.
cudaError_t launch_max_pool_vectorized(DataType dtype, const PoolWindow& window, const void* x, void* y,
                                       cudaStream_t stream);

// A global pool of a channels-last tensor X [N, pixels, C] into Y [N, C] (global_pool_kernels.cu):
// 16-byte loads of channels, C a multiple of nhwc_global_pool_lanes(x_type), X 16-byte aligned.
//   kMean, kMax: GlobalAveragePool, GlobalMaxPool; Y has X's float type (float32, float16, bfloat16);
//   kDequantizeMean: kiln.QGlobalAveragePool; X int8 or uint8, Y a float type,
//                    y = x_scale * (mean(x) - zero_point), the sum exact in int32.
// Float types accumulate in float. With few images and many pixels the pixels of an image are
// split over blocks, whose partial results need nhwc_global_pool_workspace() bytes.
struct NhwcGlobalPool {
  enum class Kind { kMean, kMax, kDequantizeMean };
  Kind kind = Kind::kMean;
  DataType x_type = DataType::kFloat32, y_type = DataType::kFloat32;
  uint32_t batch = 1, pixels = 1, channels = 1;
  float x_scale = 1.f;
  int32_t zero_point = 0;
};
// Channels per 16-byte vector of `x_type`; 0 for types the kernel does not take.
uint32_t nhwc_global_pool_lanes(DataType x_type);
size_t nhwc_global_pool_workspace(const NhwcGlobalPool& pool);
cudaError_t launch_nhwc_global_pool(const NhwcGlobalPool& pool, const void* x, void* y, void* workspace,
                                    cudaStream_t stream);
// kiln.QGlobalAveragePool in any layout, on the reduction core: group g of the int8/uint8 X
// becomes y[g] = x_scale * (mean - zero_point) in `y_type` (float32, float16, bfloat16).
cudaError_t launch_dequantize_mean(DataType x_type, DataType y_type, const GroupLayout& layout, float x_scale,
                                   int32_t zero_point, const void* x, void* y, cudaStream_t stream);

// CumSum along the middle axis of [outer, n, inner].
struct CumSumArgs {
  uint32_t outer = 1, n = 1, inner = 1;
  bool exclusive = false, reverse = false;
};
cudaError_t launch_cumsum(DataType dtype, const CumSumArgs& args, const void* x, void* y, cudaStream_t stream);

// TopK along the middle axis of [outer, n, inner]: the k largest (smallest) elements of each
// line, sorted, ties to the lower index; values in X's dtype, indices int64.
constexpr uint32_t kMaxTopK = 64;
struct TopKArgs {
  uint32_t outer = 1, n = 1, inner = 1, k = 1;  // k <= kMaxTopK
  bool largest = true;
};
cudaError_t launch_topk(DataType dtype, const TopKArgs& args, const void* x, void* values, int64_t* indices,
                        cudaStream_t stream);

}  // namespace kiln::cuda::reduce
