// A GemmLayer run with one cuBLASLt algorithm: the broadcast of Gemm's C when it needs one, one
// cublasLtMatmul per GemmShape call (bias, residual and Relu in cuBLASLt's epilogue), then
// Kiln's activation kernel for the activations cuBLASLt cannot compute exactly.
#pragma once

#include "backends/cuda/cublaslt/lt_matmul_plan.h"

namespace kiln::cuda {

class CublasLtGemmKernel final : public LayerKernel {
 public:
  CublasLtGemmKernel(GemmLayer layer, LtMatmulPlan plan, const cublasLtMatmulHeuristicResult_t& algorithm,
                     int64_t y_elements);
  // cuBLASLt's workspace for the algorithm.
  size_t workspace_bytes() const override { return workspace_bytes_; }
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override;

 private:
  // Sets the bias pointer in the plan's descriptor (a kernel belongs to one execution context,
  // which enqueues from one thread at a time), then runs each call.
  Status run_matmuls(const LaunchEnv& env, const char* a, const char* b, const void* bias, const char* c, char* y);

  GemmLayer layer_;
  LtMatmulPlan plan_;
  cublasLtMatmulAlgo_t algo_;
  size_t workspace_bytes_;
  int64_t y_elements_;
};

}  // namespace kiln::cuda
