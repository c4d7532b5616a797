#include "backends/cuda/cudnn/space_to_depth_conv_kernel.h"

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cudnn/space_to_depth_blocks.h"
#include "core/tensor.h"

namespace kiln::cuda {

namespace {
constexpr size_t kAlignment = 256;
size_t aligned(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }
}  // namespace

SpaceToDepthConvKernel::SpaceToDepthConvKernel(SpaceToDepthStem stem, DeviceBuffer weights,
                                               std::unique_ptr<LayerKernel> conv)
    : stem_(std::move(stem)), weights_(std::move(weights)), conv_(std::move(conv)) {}

size_t SpaceToDepthConvKernel::blocks_bytes() const { return aligned(stem_.block_bytes()); }

size_t SpaceToDepthConvKernel::workspace_bytes() const { return blocks_bytes() + conv_->workspace_bytes(); }

Status SpaceToDepthConvKernel::enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                                       const std::vector<void*>& outputs) {
  if (inputs.empty() || inputs[0] == nullptr) return invalid_argument("the space-to-depth stem is missing X");
  if (env.workspace == nullptr || env.workspace_bytes < workspace_bytes())
    return invalid_argument("the space-to-depth stem needs {} bytes of workspace, got {}", workspace_bytes(),
                            env.workspace_bytes);
  const ConvProblem& b = stem_.blocks;
  SpaceToDepthBlocksArgs args;
  args.x = inputs[0];
  args.blocks = env.workspace;
  args.batch = b.batch;
  args.height = stem_.height;
  args.width = stem_.width;
  args.channels = stem_.channels;
  args.block_h = b.in_h;
  args.block_w = b.in_w;
  args.origin_h = stem_.origin[0];
  args.origin_w = stem_.origin[1];
  args.element_size = data_type_size(b.dtype);
  KILN_CUDA_CHECK(launch_space_to_depth_blocks(args, env.stream));

  LaunchEnv conv_env = env;
  conv_env.workspace = static_cast<uint8_t*>(env.workspace) + blocks_bytes();
  conv_env.workspace_bytes = env.workspace_bytes - blocks_bytes();
  std::vector<const void*> conv_inputs = inputs;
  conv_inputs[0] = env.workspace;
  conv_inputs[1] = weights_.get();
  return conv_->enqueue(conv_env, conv_inputs, outputs);
}

Expected<DeviceBuffer> upload_space_to_depth_weights(const SpaceToDepthStem& stem, const ConvProblem& problem,
                                                     const Tensor& weights) {
  const size_t element_size = data_type_size(problem.dtype);
  if (weights.dtype() != problem.dtype || weights.nbytes() != static_cast<size_t>(problem.out_channels *
                                                                                  problem.kernel_h * problem.kernel_w *
                                                                                  problem.in_channels) * element_size)
    return invalid_argument("the space-to-depth stem's weights are {} {}, not the layer's", data_type_name(weights.dtype()),
                            dims_to_string(weights.dims()));
  const std::vector<uint8_t> blocked =
      space_to_depth_weights(stem, problem, static_cast<const uint8_t*>(weights.raw()), element_size);
  return DeviceBuffer::upload(blocked.data(), blocked.size());
}

Expected<std::unique_ptr<LayerKernel>> make_space_to_depth_conv(cudnnHandle_t handle, const ConvProblem& problem,
                                                                const SpaceToDepthStem& stem, const Tensor& weights,
                                                                const ConvTacticKey& key, bool allow_tf32) {
  KILN_ASSIGN_OR_RETURN(DeviceBuffer device_weights, upload_space_to_depth_weights(stem, problem, weights));
  KILN_ASSIGN_OR_RETURN(PlannedConv planned, plan_conv_tactic(handle, stem.blocks, key, allow_tf32));
  auto conv = std::make_unique<CudnnConvKernel>(stem.blocks, std::move(planned), std::nullopt);
  return std::unique_ptr<LayerKernel>(
      std::make_unique<SpaceToDepthConvKernel>(stem, std::move(device_weights), std::move(conv)));
}

}  // namespace kiln::cuda
