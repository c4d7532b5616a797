#include "backends/cuda/cudnn/conv_kernel.h"

#include <array>

#include "backends/cuda/cuda_check.h"

namespace kiln::cuda {

Status CudnnConvKernel::enqueue(const LaunchEnv& env, const std::vector<const void*>& inputs,
                                const std::vector<void*>& outputs) {
  auto input = [&inputs](size_t i) -> const void* { return i < inputs.size() ? inputs[i] : nullptr; };
  void* y = outputs.empty() ? nullptr : outputs[0];
  const void* bias = problem_.has_bias ? input(2) : nullptr;
  const void* residual = problem_.has_residual ? input(3) : nullptr;
  if (input(0) == nullptr || input(1) == nullptr || y == nullptr || (problem_.has_bias && bias == nullptr) ||
      (problem_.has_residual && residual == nullptr))
    return invalid_argument("the cuDNN convolution is missing a tensor's device pointer");
  if (env.workspace_bytes < workspace_bytes() || (workspace_bytes() > 0 && env.workspace == nullptr))
    return invalid_argument("the cuDNN convolution needs {} bytes of workspace, got {}", workspace_bytes(),
                            env.workspace_bytes);

  // Only the pointers change from run to run, so the variant pack is made here. That is host-side
  // descriptor work only (no device allocation, no synchronization): CUDA-graph capture allows it.
  std::array<int64_t, 5> uids{};
  std::array<void*, 5> pointers{};
  size_t n = 0;
  auto bind = [&](int64_t uid, const void* p) {
    uids[n] = uid;
    pointers[n] = const_cast<void*>(p);  // the C API takes void* for inputs too
    ++n;
  };
  bind(kUidX, input(0));
  bind(kUidW, input(1));
  bind(kUidY, y);
  if (planned_.graph.reads_bias) bind(kUidBias, bias);
  if (planned_.graph.reads_residual) bind(kUidResidual, residual);
  KILN_ASSIGN_OR_RETURN(BackendDescriptor pack, BackendDescriptor::create(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR));
  KILN_RETURN_IF_ERROR(pack.set(CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, std::span<const int64_t>(uids.data(), n)));
  KILN_RETURN_IF_ERROR(pack.set_pointers(CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, {pointers.data(), n}));
  KILN_RETURN_IF_ERROR(pack.set_pointers(CUDNN_ATTR_VARIANT_PACK_WORKSPACE, {&env.workspace, 1}));
  KILN_RETURN_IF_ERROR(pack.finalize());
  // env.cudnn is already bound to env.stream, so cuDNN launches on it.
  KILN_CUDNN_CHECK(cudnnBackendExecute(env.cudnn, planned_.plan.plan.get(), pack.get()));

  if (planned_.kind == ConvGraphKind::kConvOnly) {
    ConvEpilogueArgs args;
    args.dtype = problem_.dtype;
    args.y = y;
    args.bias = bias;
    args.residual = residual;
    args.numel = problem_.batch * problem_.out_h * problem_.out_w * problem_.out_channels;
    args.channels = problem_.out_channels;
    args.channel_stride = problem_.channels_last ? 1 : problem_.out_h * problem_.out_w;
    args.activation = problem_.activation;
    KILN_CUDA_CHECK(launch_conv_epilogue(args, env.stream));
  }
  return Status::Ok();
}

}  // namespace kiln::cuda
