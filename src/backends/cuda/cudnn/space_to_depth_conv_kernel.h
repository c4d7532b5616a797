// The space-to-depth stem (space_to_depth_stem.h) as a layer kernel: the blocking kernel into
// workspace, then a cuDNN plan of the blocked stride-1 convolution with the layer's epilogue.
#pragma once

#include <memory>

#include "backends/cuda/cudnn/conv_kernel.h"
#include "backends/cuda/cudnn/space_to_depth_stem.h"
#include "backends/cuda/device_context.h"

namespace kiln::cuda {

class SpaceToDepthConvKernel final : public LayerKernel {
 public:
  SpaceToDepthConvKernel(SpaceToDepthStem stem, DeviceBuffer weights, std::unique_ptr<CudnnConvKernel> conv);
  size_t workspace_bytes() const override;
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override;

 private:
  size_t blocks_bytes() const;  // the blocked input's share of the workspace, aligned
  SpaceToDepthStem stem_;
  DeviceBuffer weights_;  // rearranged for the blocked convolution
  std::unique_ptr<CudnnConvKernel> conv_;
};

// The kernel for the layer `problem` (whose rewrite is `stem`) on tactic `key` of the blocked
// convolution; `weights` is the layer's constant W on the host.
Expected<std::unique_ptr<LayerKernel>> make_space_to_depth_conv(cudnnHandle_t handle, const ConvProblem& problem,
                                                                const SpaceToDepthStem& stem, const Tensor& weights,
                                                                const ConvTacticKey& key, bool allow_tf32);

}  // namespace kiln::cuda
