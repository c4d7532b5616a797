// The providers of Kiln's reduction-family kernels; reduction_providers() lists them.
#pragma once

#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda::reduce {

const TacticProvider* reduce_provider();   // Reduce*, ArgMax, ArgMin
const TacticProvider* softmax_provider();  // Softmax, LogSoftmax, Hardmax
const TacticProvider* norm_provider();     // Layer/Batch/Instance/MeanVariance/Lp normalization, LRN
const TacticProvider* pool_provider();     // MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool
const TacticProvider* cumsum_provider();   // CumSum
const TacticProvider* topk_provider();     // TopK (small constant k)
const TacticProvider* loss_provider();     // NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss

}  // namespace kiln::cuda::reduce
