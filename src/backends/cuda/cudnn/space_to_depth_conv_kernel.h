// The space-to-depth stem (space_to_depth_stem.h) as a layer kernel: the blocking kernel into
// workspace, then a kernel of the blocked stride-1 convolution with the layer's epilogue (a cuDNN
// plan for float layers, the int8 implicit GEMM for kiln.QConv), reading the blocks as X and the
// rearranged weights as W.
#pragma once

#include <memory>

#include "backends/cuda/cudnn/conv_kernel.h"
#include "backends/cuda/cudnn/space_to_depth_stem.h"
#include "backends/cuda/device_context.h"

namespace kiln::cuda {

class SpaceToDepthConvKernel final : public LayerKernel {
 public:
  SpaceToDepthConvKernel(SpaceToDepthStem stem, DeviceBuffer weights, std::unique_ptr<LayerKernel> conv);
  size_t workspace_bytes() const override;
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                 const std::vector<void*>& outputs) override;

 private:
  size_t blocks_bytes() const;  // the blocked input's share of the workspace, aligned
  SpaceToDepthStem stem_;
  DeviceBuffer weights_;  // rearranged for the blocked convolution
  std::unique_ptr<LayerKernel> conv_;
};

// The layer's constant W (`weights`, on the host, [K, R, S, C] of the layer's type) rearranged for
// the blocked convolution (space_to_depth_weights), on the device.
Expected<DeviceBuffer> upload_space_to_depth_weights(const SpaceToDepthStem& stem, const ConvProblem& problem,
                                                     const Tensor& weights);

// The kernel for the float layer `problem` (whose rewrite is `stem`) on cuDNN tactic `key` of the
// blocked convolution; `weights` is the layer's constant W on the host.
Expected<std::unique_ptr<LayerKernel>> make_space_to_depth_conv(cudnnHandle_t handle, const ConvProblem& problem,
                                                                const SpaceToDepthStem& stem, const Tensor& weights,
                                                                const ConvTacticKey& key, bool allow_tf32);

}  // namespace kiln::cuda
