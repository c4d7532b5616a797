// The cuDNN operation graph of a convolution layer:
//   conv_fprop(X, W) -> [+ B] -> [+ Z] -> [activation] -> Y
// (ConvTranspose: conv_bwd_data(dy = X, W) -> [+ B] -> Y) with every intermediate a virtual FP32
// tensor and the convolution computing in FP32. kiln.QConv's convolution computes in INT32 (int8
// X and W) or FP32 (E4M3 X and W):
//   conv_fprop(X, W) * channel_scale -> [+ B] -> [+ Z (int8 Z: Z * residual_scale)] -> [act]
//   -> [/ output_scale] -> Y
// cuDNN tensors are described in NCHW dimension order with the strides of the layer's layout.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/cuda/cudnn/backend_descriptor.h"
#include "backends/cuda/cudnn/conv_problem.h"

namespace kiln::cuda {

// Unique ids of the graph's real tensors (the variant pack names its pointers by them).
// QConv's scale vectors are QuantizedScales' [K] float32 vectors; its convolution-only graphs
// write the accumulators into the kernel's workspace.
enum ConvTensorUid : int64_t {
  kUidX = 1,
  kUidW = 2,
  kUidBias = 3,
  kUidResidual = 4,
  kUidY = 5,
  kUidAccumulators = 6,
  kUidChannelScale = 7,
  kUidResidualScale = 8,
  kUidOutputScale = 9,
};

// What the cuDNN graph covers: the whole layer, or only the convolution (Kiln's epilogue kernel,
// conv_epilogue.h, then adds bias and residual and activates; quantized_epilogue.h for QConv,
// whose accumulators cuDNN writes as INT32, or as FP32 with kConvOnlyFloatAccumulators, the only
// convolution-only form of an FP8 QConv).
enum class ConvGraphKind : int64_t { kFused = 0, kConvOnly = 1, kConvOnlyFloatAccumulators = 2 };

struct ConvGraph {
  // The tensor and operation descriptors the op graph refers to, kept alive with it.
  std::vector<BackendDescriptor> parts;
  BackendDescriptor op_graph;
  bool reads_bias = false;
  bool reads_residual = false;
  bool reads_scales = false;          // QConv's fused graph: kUidChannelScale, ... (those it uses)
  bool reads_residual_scale = false;
  bool reads_output_scale = false;
  // QConv's convolution-only graphs: the type of kUidAccumulators (else undefined).
  DataType accumulators = DataType::kUndefined;
};

// The finalized op graph, or unsupported when cuDNN's pointwise modes cannot express the
// activation (the fused kind only).
Expected<ConvGraph> build_conv_graph(cudnnHandle_t handle, const ConvProblem& problem, ConvGraphKind kind);

}  // namespace kiln::cuda
