// The cuDNN operation graph of a convolution layer:
//   conv_fprop(X, W) -> [+ B] -> [+ Z] -> [activation] -> Y
// (ConvTranspose: conv_bwd_data(dy = X, W) -> [+ B] -> Y) with every intermediate a virtual FP32
// tensor and the convolution computing in FP32. cuDNN tensors are described in NCHW dimension
// order with the strides of the layer's layout.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/cuda/cudnn/backend_descriptor.h"
#include "backends/cuda/cudnn/conv_problem.h"

namespace kiln::cuda {

// Unique ids of the graph's real tensors (the variant pack names its pointers by them).
enum ConvTensorUid : int64_t { kUidX = 1, kUidW = 2, kUidBias = 3, kUidResidual = 4, kUidY = 5 };

// What the cuDNN graph covers: the whole layer, or only the convolution (Kiln's epilogue kernel,
// conv_epilogue.h, then adds bias and residual and activates).
enum class ConvGraphKind : int64_t { kFused = 0, kConvOnly = 1 };

struct ConvGraph {
  // The tensor and operation descriptors the op graph refers to, kept alive with it.
  std::vector<BackendDescriptor> parts;
  BackendDescriptor op_graph;
  bool reads_bias = false;
  bool reads_residual = false;
};

// The finalized op graph, or unsupported when cuDNN's pointwise modes cannot express the
// activation (the fused kind only).
Expected<ConvGraph> build_conv_graph(cudnnHandle_t handle, const ConvProblem& problem, ConvGraphKind kind);

}  // namespace kiln::cuda
