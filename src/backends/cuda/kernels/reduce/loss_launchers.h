// Launchers of the loss kernels (NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss). Scores
// are [batch, classes, inner] (inner: the trailing dims flattened), labels [batch, inner]
// (int32 or int64), optional class weights [classes] in the scores' type. Asynchronous on
// `stream`, no allocation; a sum or mean reduction needs loss_workspace_bytes() of workspace.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "backends/cuda/kernels/reduce/launchers.h"
#include "kiln/data_type.h"

namespace kiln::cuda::reduce {

enum class LossReduction { kNone, kSum, kMean };

struct LossArgs {
  uint32_t batch = 1, classes = 1, inner = 1;
  DataType label_dtype = DataType::kInt64;
  bool has_ignore = false;  // ONNX ignore_index given: labels equal to it count for nothing
  int64_t ignore_index = 0;
  LossReduction reduction = LossReduction::kMean;
};

// Scratch for the per-element losses and weights that the sum/mean reduction folds.
size_t loss_workspace_bytes(DataType dtype, const LossArgs& args);

// loss = -log_prob[n, label, d] * weight[label].
cudaError_t launch_nll_loss(DataType dtype, const LossArgs& args, const void* log_prob, const void* labels,
                            const void* weights, void* loss, void* workspace, cudaStream_t stream);

// The same loss on log_softmax(scores) over the class axis; `layout` is the scores' class axis
// as groups (make_axis_layout(dims, 1)). log_prob, when not null, receives the log-softmax.
cudaError_t launch_softmax_cross_entropy_loss(DataType dtype, const LossArgs& args, const GroupLayout& layout,
                                              const void* scores, const void* labels, const void* weights,
                                              void* loss, void* log_prob, void* workspace, cudaStream_t stream);

}  // namespace kiln::cuda::reduce
