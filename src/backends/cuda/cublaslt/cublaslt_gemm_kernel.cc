#include "backends/cuda/cublaslt/cublaslt_gemm_kernel.h"

#include <cstdint>
#include <initializer_list>

#include "backends/cuda/cublaslt/broadcast_fill.h"
#include "backends/cuda/cuda_check.h"

namespace kiln::cuda {

CublasLtGemmKernel::CublasLtGemmKernel(GemmLayer layer, LtMatmulPlan plan,
                                       const cublasLtMatmulHeuristicResult_t& algorithm, int64_t y_elements)
    : layer_(std::move(layer)),
      plan_(std::move(plan)),
      algo_(algorithm.algo),
      workspace_bytes_(algorithm.workspaceSize),
      y_elements_(y_elements) {}

Status CublasLtGemmKernel::enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                                   const std::vector<void*>& outputs) {
  if (env.workspace_bytes < workspace_bytes_ || (workspace_bytes_ > 0 && env.workspace == nullptr))
    return internal_error("cuBLASLt GEMM needs {} bytes of workspace, got {}", workspace_bytes_, env.workspace_bytes);
  auto input = [&](int i) { return i >= 0 ? static_cast<const char*>(inputs[static_cast<size_t>(i)]) : nullptr; };
  const char* a = input(0);
  const char* b = input(1);
  const void* bias = input(layer_.bias_input);
  char* y = static_cast<char*>(outputs[0]);
  // Gemm's broadcast C is copied into Y, which the product then scales in place.
  const char* c = layer_.c_input >= 0 ? input(layer_.c_input) : y;
  for (const void* p : std::initializer_list<const void*>{a, b, bias, c, y})
    if (reinterpret_cast<uintptr_t>(p) % kAssumedBufferAlignment != 0)
      return invalid_argument("cuBLASLt GEMM buffers must be aligned to {} bytes", kAssumedBufferAlignment);
  if (layer_.fill_input >= 0)
    KILN_CUDA_CHECK(launch_broadcast_fill(layer_.dtype, input(layer_.fill_input), layer_.fill_rows, layer_.fill_cols, y,
                                          layer_.shape.m, layer_.shape.n, env.stream));
  KILN_RETURN_IF_ERROR(run_matmuls(env, a, b, bias, c, y));
  if (layer_.has_activation_kernel)
    KILN_CUDA_CHECK(launch_conv_epilogue({layer_.dtype, y, nullptr, nullptr, y_elements_, 1, layer_.activation}, env.stream));
  return Status::Ok();
}

Status CublasLtGemmKernel::run_matmuls(const LaunchEnv& env, const char* a, const char* b, const void* bias,
                                       const char* c, char* y) {
  if (bias != nullptr)
    KILN_CUBLAS_CHECK(
        cublasLtMatmulDescSetAttribute(plan_.desc(), CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias)));
  const size_t bytes = data_type_size(layer_.dtype);
  for (const GemmCallOffsets& call : layer_.shape.calls) {
    const size_t y_offset = static_cast<size_t>(call.y) * bytes;
    KILN_CUBLAS_CHECK(cublasLtMatmul(env.cublaslt, plan_.desc(), &layer_.alpha, b + static_cast<size_t>(call.b) * bytes,
                                     plan_.lt_a(), a + static_cast<size_t>(call.a) * bytes, plan_.lt_b(), &layer_.beta,
                                     c + y_offset, plan_.y(), y + y_offset, plan_.y(), &algo_, env.workspace,
                                     workspace_bytes_, env.stream));
  }
  return Status::Ok();
}

}  // namespace kiln::cuda
