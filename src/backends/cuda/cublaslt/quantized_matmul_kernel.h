// kiln.QMatMul on cuBLASLt's int8 tensor-core (IMMA) kernels, in one of two forms:
//  - fused: one matmul writes int8 Y = relu?(alpha[n] * acc + beta * Z + bias'[n]), the layer's
//    FoldedEpilogue (quantized_layer.h) as alpha, bias' and beta, where folds_per_channel holds;
//  - int32: the exact int32 accumulators into the workspace, then Kiln's quantized epilogue
//    kernel (any residual, activation and output type).
// kiln.QMatMul and 1x1 kiln.QConv with float8e4m3 A and B (FP8) run the second form on cuBLASLt's
// FP8 kernels, with float32 accumulators (LtMatmulPlan::create_fp8): the per-channel weight scales
// cannot go into cuBLASLt's per-tensor A/B scales, so the epilogue kernel applies them all.
// Either way the constant B is stored transposed ([N, K]), the "TN" form the kernels require.
#pragma once

#include "backends/cuda/cublaslt/lt_matmul_plan.h"
#include "backends/cuda/cudnn/quantized_layer.h"

namespace kiln::cuda {

class QuantizedMatMulKernel final : public LayerKernel {
 public:
  // Uploads the transposed weights and the scale vectors.
  static Expected<std::unique_ptr<LayerKernel>> create(const LayerSpec& spec, const QuantizedMatMul& layer,
                                                       bool fused, LtMatmulPlan plan,
                                                       const cublasLtMatmulHeuristicResult_t& algorithm);
  // cuBLASLt's workspace, then (int32 form) the accumulators.
  size_t workspace_bytes() const override { return accumulators_offset_ + accumulators_bytes_; }
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override;

 private:
  QuantizedMatMulKernel(QuantizedMatMul layer, bool fused, LtMatmulPlan plan,
                        const cublasLtMatmulHeuristicResult_t& algorithm);

  QuantizedMatMul layer_;
  DataType operands_ = DataType::kInt8;  // A and B: int8 or float8e4m3
  bool fused_;
  LtMatmulPlan plan_;
  cublasLtMatmulAlgo_t algo_;
  size_t lt_workspace_bytes_;
  size_t accumulators_offset_ = 0;
  size_t accumulators_bytes_ = 0;
  DeviceBuffer weights_t_;        // B^T [N, K], int8 or float8e4m3
  DeviceBuffer fused_vectors_;    // fused: alpha [N], then bias' [N] (float32)
  std::optional<QuantizedScales> scales_;  // int32 form
  float beta_ = 0.f;              // fused: z_scale / y_scale with an int8 residual
};

}  // namespace kiln::cuda
