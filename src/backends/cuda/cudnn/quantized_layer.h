// What kiln.QConv and kiln.QMatMul (docs/architecture.md, "Quantized layers") ask of a kernel
// beyond their int8 product: the per-channel accumulator scales, bias, residual, activation and
// output, read from a LayerSpec (which is the providers' supports(): anything not described is
// refused with the reason), and their device copies for the epilogue kernels.
#pragma once

#include <string>
#include <vector>

#include "backends/cuda/cudnn/quantized_epilogue.h"
#include "backends/cuda/device_context.h"
#include "backends/cuda/layer_kernel.h"
#include "ir/ops/fused_ops.h"

namespace kiln::cuda {

bool is_quantized_conv(const Node& op);
bool is_quantized_matmul(const Node& op);

struct QuantizedParams {
  // x_scale * w_scale[k] in float, as the reference kernel computes it.
  std::vector<float> channel_scale;
  bool has_bias = false;
  bool has_residual = false;
  DataType residual_dtype = DataType::kUndefined;
  float residual_scale = 1.f;
  DataType output_dtype = DataType::kInt8;
  float output_scale = 1.f;
  ActivationSpec activation;

  bool quantized_output() const { return output_dtype == DataType::kInt8; }
  bool quantized_residual() const { return has_residual && residual_dtype == DataType::kInt8; }
  // "bias_add8_relu_to_int8": what tactic names show.
  std::string slug() const;
};

// The scales (host constants), optional inputs and output of a QConv/QMatMul layer with
// `channels` output channels whose X and W are of type `operands` (int8, or float8e4m3 for the
// FP8 providers), or unsupported(reason).
Expected<QuantizedParams> quantized_params(const LayerSpec& spec, int64_t channels,
                                           DataType operands = DataType::kInt8);

// A kiln.QMatMul layer: A [..., M, K] (the leading axes folded into M) times the constant [K, N]
// matrix, Y [..., M, N]. A channels-last 1x1 kiln.QConv with stride 1 and no padding is one too:
// X [N*H*W, C] times W^T, its constant W [K, 1, 1, C] being B^T already (b_transposed); any other
// QConv is unsupported.
struct QuantizedMatMul {
  int64_t m = 0, n = 0, k = 0;
  bool b_transposed = false;  // the constant is stored [N, K]
  QuantizedParams params;
};
Expected<QuantizedMatMul> quantized_matmul(const LayerSpec& spec, DataType operands = DataType::kInt8);

// The common epilogue (int8 output, an int8 residual or none, ReLU or none, a constant bias or
// none) folded into per-channel multipliers of the int32 sums:
//   y = sat8(round(sum * scale[k] + shift[k] + residual * residual_ratio)), ReLU clamping at 0,
// with scale = channel_scale / output_scale, shift = bias / output_scale and residual_ratio =
// residual_scale / output_scale. One rounding less than the reference's order of operations, so
// an output can differ from it by one where the value lies within a rounding of a half.
// cuBLASLt's fused int8 matmul (alpha, bias, beta) and the implicit GEMM's fast epilogue run it.
struct FoldedEpilogue {
  std::vector<float> scale_shift;  // [2 * channels]: the scales, then the shifts (0 without a bias)
  float residual_ratio = 0.f;      // 0 without a residual
  bool relu = false;
};
bool folds_per_channel(const LayerSpec& spec, const QuantizedParams& params);
// The folded epilogue, where folds_per_channel holds.
Expected<FoldedEpilogue> folded_epilogue(const LayerSpec& spec, const QuantizedParams& params);

// The per-channel vectors on the device, each [channels] float32: the accumulator scales, and the
// residual and output scales repeated (cuDNN's pointwise operands are per-channel tensors).
class QuantizedScales {
 public:
  static Expected<QuantizedScales> upload(const QuantizedParams& params);
  const float* channel_scale() const { return base(); }
  const float* residual_scale() const { return base() + channels_; }
  const float* output_scale() const { return base() + 2 * channels_; }
  // The epilogue of a layer run with `inputs` (device pointers in node-input order).
  QuantizedEpilogue epilogue(const QuantizedParams& params, const std::vector<const void*>& inputs) const;

 private:
  const float* base() const { return static_cast<const float*>(buffer_.get()); }
  DeviceBuffer buffer_;
  int64_t channels_ = 0;
};

}  // namespace kiln::cuda
