#include "backends/cuda/cublaslt/quantized_matmul_kernel.h"

#include <cstdint>
#include <initializer_list>

#include "backends/cuda/cuda_check.h"

namespace kiln::cuda {

namespace {

// Where the accumulators start in the workspace: past cuBLASLt's part, at a tensor alignment.
constexpr size_t kAccumulatorAlignment = 256;

}  // namespace

QuantizedMatMulKernel::QuantizedMatMulKernel(QuantizedMatMul layer, bool fused, LtMatmulPlan plan,
                                             const cublasLtMatmulHeuristicResult_t& algorithm)
    : layer_(std::move(layer)),
      fused_(fused),
      plan_(std::move(plan)),
      algo_(algorithm.algo),
      lt_workspace_bytes_(algorithm.workspaceSize) {
  accumulators_offset_ = lt_workspace_bytes_;
  if (!fused_) {
    accumulators_offset_ = (accumulators_offset_ + kAccumulatorAlignment - 1) / kAccumulatorAlignment * kAccumulatorAlignment;
    accumulators_bytes_ = static_cast<size_t>(layer_.m * layer_.n) * sizeof(int32_t);  // int32 or float32
  }
}

Expected<std::unique_ptr<LayerKernel>> QuantizedMatMulKernel::create(const LayerSpec& spec,
                                                                     const QuantizedMatMul& layer, bool fused,
                                                                     LtMatmulPlan plan,
                                                                     const cublasLtMatmulHeuristicResult_t& algorithm) {
  std::unique_ptr<QuantizedMatMulKernel> kernel(new QuantizedMatMulKernel(layer, fused, std::move(plan), algorithm));
  kernel->operands_ = spec.inputs[kQWeights]->dtype;
  if (fused && kernel->operands_ != DataType::kInt8)
    return invalid_argument("only int8 layers run as one cuBLASLt matmul, not {}", data_type_name(kernel->operands_));
  const QuantizedParams& p = layer.params;
  // B [K, N] transposed to [N, K] (one-byte elements of either type), unless stored so.
  const uint8_t* b = static_cast<const uint8_t*>(spec.inputs[kQWeights]->host_constant->raw());
  std::vector<uint8_t> b_t(b, b + layer.n * layer.k);
  if (!layer.b_transposed)
    for (int64_t kk = 0; kk < layer.k; ++kk)
      for (int64_t nn = 0; nn < layer.n; ++nn) b_t[static_cast<size_t>(nn * layer.k + kk)] = b[kk * layer.n + nn];
  KILN_ASSIGN_OR_RETURN(kernel->weights_t_, DeviceBuffer::upload(b_t.data(), b_t.size()));
  if (fused) {
    // The output scale folded into alpha, beta and the bias.
    KILN_ASSIGN_OR_RETURN(FoldedEpilogue folded, folded_epilogue(spec, p));
    KILN_ASSIGN_OR_RETURN(kernel->fused_vectors_,
                          DeviceBuffer::upload(folded.scale_shift.data(), folded.scale_shift.size() * sizeof(float)));
    kernel->beta_ = folded.residual_ratio;
  } else {
    KILN_ASSIGN_OR_RETURN(kernel->scales_, QuantizedScales::upload(p));
  }
  return std::unique_ptr<LayerKernel>(std::move(kernel));
}

Status QuantizedMatMulKernel::enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                                      const std::vector<void*>& outputs) {
  if (env.workspace_bytes < workspace_bytes() || (workspace_bytes() > 0 && env.workspace == nullptr))
    return internal_error("the cuBLASLt int8 matmul needs {} bytes of workspace, got {}", workspace_bytes(),
                          env.workspace_bytes);
  const void* a = inputs.size() > kQInput ? inputs[kQInput] : nullptr;
  void* y = outputs.empty() ? nullptr : outputs[0];
  const QuantizedParams& p = layer_.params;
  const void* residual = p.has_residual && inputs.size() > kQResidual ? inputs[kQResidual] : nullptr;
  if (a == nullptr || y == nullptr || (p.has_residual && residual == nullptr))
    return invalid_argument("the cuBLASLt int8 matmul is missing a tensor's device pointer");
  for (const void* ptr : std::initializer_list<const void*>{a, y, residual})
    if (reinterpret_cast<uintptr_t>(ptr) % kAssumedBufferAlignment != 0)
      return invalid_argument("cuBLASLt int8 matmul buffers must be aligned to {} bytes", kAssumedBufferAlignment);

  if (fused_) {
    const float* alpha = static_cast<const float*>(fused_vectors_.get());
    const float* bias = alpha + layer_.n;
    if (p.has_bias)
      KILN_CUBLAS_CHECK(
          cublasLtMatmulDescSetAttribute(plan_.desc(), CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias)));
    // Without a residual beta is 0 and C (Y) is not read.
    const void* c = p.has_residual ? residual : y;
    KILN_CUBLAS_CHECK(cublasLtMatmul(env.cublaslt, plan_.desc(), alpha, weights_t_.get(), plan_.lt_a(), a,
                                     plan_.lt_b(), &beta_, c, plan_.y(), y, plan_.y(), &algo_, env.workspace,
                                     lt_workspace_bytes_, env.stream));
    return Status::Ok();
  }
  void* accumulators = static_cast<char*>(env.workspace) + accumulators_offset_;
  // alpha and beta have the scale type: int32 for the int8 kernels, float32 for the FP8 ones.
  const int32_t one = 1, zero = 0;
  const float one_f = 1.f, zero_f = 0.f;
  const bool fp8 = operands_ == DataType::kFloat8E4M3;
  const void* alpha = fp8 ? static_cast<const void*>(&one_f) : &one;
  const void* beta = fp8 ? static_cast<const void*>(&zero_f) : &zero;
  KILN_CUBLAS_CHECK(cublasLtMatmul(env.cublaslt, plan_.desc(), alpha, weights_t_.get(), plan_.lt_a(), a, plan_.lt_b(),
                                   beta, accumulators, plan_.y(), accumulators, plan_.y(), &algo_, env.workspace,
                                   lt_workspace_bytes_, env.stream));
  // Y [M, N]: the channel is the innermost axis.
  KILN_CUDA_CHECK(launch_quantized_epilogue(scales_->epilogue(p, inputs), accumulators,
                                            fp8 ? DataType::kFloat32 : DataType::kInt32, layer_.m * layer_.n, y,
                                            env.stream));
  return Status::Ok();
}

}  // namespace kiln::cuda
