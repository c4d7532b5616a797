// A convolution layer running one cuDNN execution plan, followed by Kiln's
// epilogue kernel when the plan covers the convolution only.
#pragma once

#include "backends/cuda/cudnn/conv_tactics.h"
#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

class CudnnConvKernel final : public LayerKernel {
 public:
  CudnnConvKernel(const ConvProblem& problem, PlannedConv planned)
      : problem_(problem), planned_(std::move(planned)) {}
  size_t workspace_bytes() const override { return planned_.plan.workspace_bytes; }
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override;

 private:
  ConvProblem problem_;
  PlannedConv planned_;
};

}  // namespace kiln::cuda
