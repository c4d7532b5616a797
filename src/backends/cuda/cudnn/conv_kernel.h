// A convolution layer running one cuDNN execution plan, followed by Kiln's
// epilogue kernel when the plan covers the convolution only.
#pragma once

#include <optional>

#include "backends/cuda/cudnn/conv_tactics.h"
#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

class CudnnConvKernel final : public LayerKernel {
 public:
  // `scales`: QConv's device vectors (absent for float layers).
  CudnnConvKernel(const ConvProblem& problem, PlannedConv planned, std::optional<QuantizedScales> scales);
  // cuDNN's workspace, then (QConv's convolution-only plans) the accumulators.
  size_t workspace_bytes() const override { return accumulators_offset_ + accumulators_bytes_; }
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override;

 private:
  Status run_epilogue(const LaunchEnv& env, const std::vector<const void*>& inputs, void* accumulators, void* y) const;

  ConvProblem problem_;
  PlannedConv planned_;
  std::optional<QuantizedScales> scales_;
  size_t accumulators_offset_ = 0;
  size_t accumulators_bytes_ = 0;
};

}  // namespace kiln::cuda
