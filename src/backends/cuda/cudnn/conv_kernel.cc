#include "backends/cuda/cudnn/conv_kernel.h"

#include <array>

#include "backends/cuda/cuda_check.h"

namespace kiln::cuda {

namespace {

// Where the accumulators start in the workspace: past cuDNN's part, at an alignment any engine
// takes.
constexpr size_t kAccumulatorAlignment = 256;

}  // namespace

CudnnConvKernel::CudnnConvKernel(const ConvProblem& problem, PlannedConv planned, std::optional<QuantizedScales> scales)
    : problem_(problem), planned_(std::move(planned)), scales_(std::move(scales)) {
  accumulators_offset_ = planned_.plan.workspace_bytes;
  if (planned_.graph.accumulators != DataType::kUndefined) {
    accumulators_offset_ = (accumulators_offset_ + kAccumulatorAlignment - 1) / kAccumulatorAlignment * kAccumulatorAlignment;
    accumulators_bytes_ = static_cast<size_t>(problem_.batch * problem_.out_h * problem_.out_w * problem_.out_channels) *
                          data_type_size(planned_.graph.accumulators);
  }
}

Status CudnnConvKernel::enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                                const std::vector<void*>& outputs) {
  auto input = [&inputs](int i) -> const void* {
    return i >= 0 && static_cast<size_t>(i) < inputs.size() ? inputs[static_cast<size_t>(i)] : nullptr;
  };
  void* y = outputs.empty() ? nullptr : outputs[0];
  const void* bias = problem_.has_bias ? input(problem_.bias_input) : nullptr;
  const void* residual = problem_.has_residual ? input(problem_.residual_input) : nullptr;
  if (input(0) == nullptr || input(1) == nullptr || y == nullptr || (problem_.has_bias && bias == nullptr) ||
      (problem_.has_residual && residual == nullptr))
    return invalid_argument("the cuDNN convolution is missing a tensor's device pointer");
  if (env.workspace_bytes < workspace_bytes() || (workspace_bytes() > 0 && env.workspace == nullptr))
    return invalid_argument("the cuDNN convolution needs {} bytes of workspace, got {}", workspace_bytes(),
                            env.workspace_bytes);
  if (problem_.quant && !scales_) return internal_error("the quantized convolution has no scales on the device");
  void* accumulators = accumulators_bytes_ > 0 ? static_cast<char*>(env.workspace) + accumulators_offset_ : nullptr;

  // Only the pointers change from run to run, so the variant pack is made here. That is host-side
  // descriptor work only (no device allocation, no synchronization): CUDA-graph capture allows it.
  std::array<int64_t, 9> uids{};
  std::array<void*, 9> pointers{};
  size_t n = 0;
  auto bind = [&](int64_t uid, const void* p) {
    uids[n] = uid;
    pointers[n] = const_cast<void*>(p);  // the C API takes void* for inputs too
    ++n;
  };
  bind(kUidX, input(0));
  bind(kUidW, input(1));
  if (accumulators != nullptr) bind(kUidAccumulators, accumulators);
  else bind(kUidY, y);
  if (planned_.graph.reads_bias) bind(kUidBias, bias);
  if (planned_.graph.reads_residual) bind(kUidResidual, residual);
  if (planned_.graph.reads_scales) bind(kUidChannelScale, scales_->channel_scale());
  if (planned_.graph.reads_residual_scale) bind(kUidResidualScale, scales_->residual_scale());
  if (planned_.graph.reads_output_scale) bind(kUidOutputScale, scales_->output_scale());
  KILN_ASSIGN_OR_RETURN(BackendDescriptor pack, BackendDescriptor::create(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR));
  KILN_RETURN_IF_ERROR(pack.set(CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, std::span<const int64_t>(uids.data(), n)));
  KILN_RETURN_IF_ERROR(pack.set_pointers(CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, {pointers.data(), n}));
  KILN_RETURN_IF_ERROR(pack.set_pointers(CUDNN_ATTR_VARIANT_PACK_WORKSPACE, {&env.workspace, 1}));
  KILN_RETURN_IF_ERROR(pack.finalize());
  // env.cudnn is already bound to env.stream, so cuDNN launches on it.
  KILN_CUDNN_CHECK(cudnnBackendExecute(env.cudnn, planned_.plan.plan.get(), pack.get()));
  if (planned_.kind != ConvGraphKind::kFused) return run_epilogue(env, inputs, accumulators, y);
  return Status::Ok();
}

Status CudnnConvKernel::run_epilogue(const LaunchEnv& env, const std::vector<const void*>& inputs, void* accumulators,
                                     void* y) const {
  const int64_t numel = problem_.batch * problem_.out_h * problem_.out_w * problem_.out_channels;
  if (problem_.quant) {
    // Channels-last: the channel is the innermost axis, as the epilogue expects.
    KILN_CUDA_CHECK(launch_quantized_epilogue(scales_->epilogue(*problem_.quant, inputs), accumulators,
                                              planned_.graph.accumulators, numel, y, env.stream));
    return Status::Ok();
  }
  auto input = [&inputs](int i) { return static_cast<size_t>(i) < inputs.size() ? inputs[static_cast<size_t>(i)] : nullptr; };
  ConvEpilogueArgs args;
  args.dtype = problem_.dtype;
  args.y = y;
  args.bias = problem_.has_bias ? input(problem_.bias_input) : nullptr;
  args.residual = problem_.has_residual ? input(problem_.residual_input) : nullptr;
  args.numel = numel;
  args.channels = problem_.out_channels;
  args.channel_stride = problem_.channels_last ? 1 : problem_.out_h * problem_.out_w;
  args.activation = problem_.activation;
  KILN_CUDA_CHECK(launch_conv_epilogue(args, env.stream));
  return Status::Ok();
}

}  // namespace kiln::cuda
