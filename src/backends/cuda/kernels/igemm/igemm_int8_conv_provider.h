// Kiln's int8 implicit-GEMM convolution (igemm_int8_conv.h) as a tactic provider: channels-last
// kiln.QConv, group 1, input and output channels multiples of 16, any kernel size, stride,
// padding and dilation, the whole quantized epilogue fused. One tactic per block tile. Its checks,
// tactics and kernel are shared with the int8 space-to-depth stem's provider
// (igemm_int8_stem_provider.h), which runs the implicit GEMM over another geometry.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "backends/cuda/cudnn/conv_problem.h"
#include "backends/cuda/kernels/igemm/igemm_int8_conv.h"
#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

const TacticProvider& igemm_int8_conv_provider();

// Ok when the implicit GEMM runs the convolution `p` as it stands: ungrouped, multiples of 16
// input and output channels, at most 64 taps, pixels countable in 32 bits; else unsupported(reason).
Status igemm_int8_takes(const ConvProblem& p);

// The kiln.QConv layer `spec` as the implicit GEMM runs it (igemm_int8_takes), or unsupported(reason).
Expected<ConvProblem> igemm_int8_conv_problem(const LayerSpec& spec);

// One tactic per tile `device` runs: `prefix`, the tile ("128x128x64") and params.slug(); the id
// is the tile.
std::vector<Tactic> igemm_int8_tactics(std::string_view prefix, const QuantizedParams& params,
                                       const DeviceContext& device);

// The tile of one of those tactics; unsupported where the device does not run it.
Expected<IgemmTile> igemm_int8_tile(const Tactic& tactic, const DeviceContext& device);

// The kernel running the implicit GEMM over `geometry` on `tile`, with the quantized epilogue of
// the layer `spec` (`params`; folded per channel where folds_per_channel holds). X and W are the
// layer's inputs kQInput and kQWeights at enqueue, laid out as `geometry` says.
Expected<std::unique_ptr<LayerKernel>> make_igemm_int8_conv_kernel(const LayerSpec& spec,
                                                                   const IgemmInt8Conv& geometry,
                                                                   const QuantizedParams& params, IgemmTile tile);

// What an int8 implicit-GEMM kernel launches on: the layer's tensors, checked present and 16-byte
// aligned, and its epilogue, general and folded. folded.channel_pairs is null where the layer does
// not fold per channel or its residual is not 16-byte aligned.
struct IgemmLaunchArgs {
  const int8_t* x = nullptr;
  const int8_t* w = nullptr;
  QuantizedEpilogue epilogue;
  IgemmFolded folded;
  void* y = nullptr;
};
using IgemmLaunch = std::function<Status(const IgemmLaunchArgs&, cudaStream_t)>;

// The layer kernel of `spec` (`params`) that every int8 implicit-GEMM kernel shares: it uploads
// the epilogue's vectors (the folded ones where folds_per_channel holds) once, and at enqueue
// checks the tensors and calls `launch`.
Expected<std::unique_ptr<LayerKernel>> make_igemm_int8_layer_kernel(const LayerSpec& spec,
                                                                    const QuantizedParams& params,
                                                                    IgemmLaunch launch);

}  // namespace kiln::cuda
