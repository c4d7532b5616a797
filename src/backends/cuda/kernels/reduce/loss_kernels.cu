// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss. A first kernel gives each element
// (n, d) its loss and weight: NLL gathers log_prob[n, label, d]; the cross entropy is a softmax
// row of the reduction core whose epilogue does the same gather on the log-softmax. With
// reduction 'none' the loss goes straight to the output; 'sum' and 'mean' park the losses and
// weights in the workspace and one block folds them in a fixed order (deterministic).
#include <cmath>
#include <limits>

#include "backends/cuda/kernels/reduce/group_reduce.cuh"
#include "backends/cuda/kernels/reduce/loss_launchers.h"
#include "backends/cuda/kernels/reduce/reducers.cuh"

namespace kiln::cuda::reduce {

namespace {

// Where element i's loss and weight go: the output itself, or the two workspace arrays.
template <class T>
struct LossSink {
  using A = AccOf<T>;
  T* loss = nullptr;  // reduction 'none'
  A* partial_loss = nullptr;
  A* partial_weight = nullptr;
  __device__ void put(uint32_t i, A l, A w) const {
    if (loss != nullptr) {
      loss[i] = store_as<T>(l);
    } else {
      partial_loss[i] = l;
      partial_weight[i] = w;
    }
  }
};

// Element i's label and weight, and its loss once `log_prob_at(label)` gives the
// log-probability of the labelled class. Ignored labels count 0 with weight 0. A label outside
// [0, classes) (the reference rejects it) reads nothing and yields NaN, so the result shows it.
template <class T, class Label>
struct LossTerms {
  using A = AccOf<T>;
  LossArgs args;
  const Label* labels;
  const T* weights;  // null: every class weighs 1
  LossSink<T> sink;

  template <class LogProbAt>
  __device__ void emit(uint32_t i, LogProbAt log_prob_at) const {
    const int64_t label = static_cast<int64_t>(labels[i]);
    if (args.has_ignore && label == args.ignore_index) return sink.put(i, A(0), A(0));
    if (label < 0 || label >= static_cast<int64_t>(args.classes)) {
      const A nan = std::numeric_limits<A>::quiet_NaN();
      return sink.put(i, nan, nan);
    }
    const uint32_t c = static_cast<uint32_t>(label);
    const A w = weights != nullptr ? load_as<A>(weights[c]) : A(1);
    sink.put(i, -log_prob_at(c) * w, w);
  }
};

template <class T, class Label>
__global__ void nll_loss_kernel(LossTerms<T, Label> terms, const T* __restrict__ log_prob) {
  using A = AccOf<T>;
  const uint32_t count = terms.args.batch * terms.args.inner;
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const uint32_t n = i / terms.args.inner, d = i % terms.args.inner;
    terms.emit(i, [&](uint32_t c) { return load_as<A>(log_prob[(n * terms.args.classes + c) * terms.args.inner + d]); });
  }
}

// The epilogue of a softmax row: group g is element (n, d) = (g / inner, g % inner), as the
// class-axis layout numbers its groups; kWriteLogProb also stores every log-probability.
template <class T, class Label, bool kWriteLogProb>
struct CrossEntropyEpilogue {
  static constexpr bool kPerElement = kWriteLogProb;
  using A = AccOf<T>;
  using Acc = typename LogSumExpReducer<A>::Acc;
  LossTerms<T, Label> terms;
  const T* scores;
  T* log_prob;
  __device__ void group(uint32_t g, const Acc& acc) const {
    const uint32_t n = g / terms.args.inner, d = g % terms.args.inner;
    terms.emit(g, [&](uint32_t c) {
      const A x = load_as<A>(scores[(n * terms.args.classes + c) * terms.args.inner + d]);
      // Rounded to T as the log_prob output holds it, which is what the reference's loss reads.
      return load_as<A>(store_as<T>((x - acc.max) - log_of(acc.sum)));
    });
  }
  __device__ void element(uint32_t, uint32_t, uint32_t off, A v, const Acc& acc) const {
    if constexpr (kWriteLogProb) log_prob[off] = store_as<T>((v - acc.max) - log_of(acc.sum));
  }
};

constexpr uint32_t kFinishThreads = 512;

// One block: the sum of the losses, divided by the sum of the weights for 'mean' (0/0 = NaN
// when every label is ignored, as in the reference).
template <class T>
__global__ void finish_loss_kernel(uint32_t count, const AccOf<T>* __restrict__ losses,
                                   const AccOf<T>* __restrict__ weights, bool mean, T* __restrict__ y) {
  using A = AccOf<T>;
  __shared__ A loss_sum[kFinishThreads], weight_sum[kFinishThreads];
  A l = A(0), w = A(0);
  for (uint32_t i = threadIdx.x; i < count; i += kFinishThreads) {
    l += losses[i];
    w += weights[i];
  }
  loss_sum[threadIdx.x] = l;
  weight_sum[threadIdx.x] = w;
  __syncthreads();
  for (uint32_t half = kFinishThreads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) {
      loss_sum[threadIdx.x] += loss_sum[threadIdx.x + half];
      weight_sum[threadIdx.x] += weight_sum[threadIdx.x + half];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) y[0] = store_as<T>(mean ? loss_sum[0] / weight_sum[0] : loss_sum[0]);
}

// Calls f(T{}, Label{}) with the scores' and labels' device types.
template <class F>
cudaError_t dispatch_loss_types(DataType dtype, DataType label_dtype, F&& f) {
  return dispatch_dtype<FloatTypes>(dtype, [&](auto tag) {
    if (label_dtype == DataType::kInt32) return f(tag, int32_t{});
    if (label_dtype == DataType::kInt64) return f(tag, int64_t{});
    return cudaErrorInvalidValue;
  });
}

// Builds the per-element terms for `loss` (the output), runs `first` on them, then folds.
template <class T, class Label, class First>
cudaError_t run_loss(const LossArgs& args, const void* labels, const void* weights, void* loss, void* workspace,
                     cudaStream_t stream, First first) {
  using A = AccOf<T>;
  const uint32_t count = args.batch * args.inner;
  LossTerms<T, Label> terms{args, static_cast<const Label*>(labels), static_cast<const T*>(weights), {}};
  if (args.reduction == LossReduction::kNone) {
    terms.sink.loss = static_cast<T*>(loss);
    return first(terms);
  }
  terms.sink.partial_loss = static_cast<A*>(workspace);
  terms.sink.partial_weight = terms.sink.partial_loss + count;
  if (const cudaError_t e = first(terms); e != cudaSuccess) return e;
  finish_loss_kernel<T><<<1, kFinishThreads, 0, stream>>>(count, terms.sink.partial_loss, terms.sink.partial_weight,
                                                          args.reduction == LossReduction::kMean, static_cast<T*>(loss));
  return cudaGetLastError();
}

}  // namespace

size_t loss_workspace_bytes(DataType dtype, const LossArgs& args) {
  if (args.reduction == LossReduction::kNone) return 0;
  const size_t acc_bytes = dtype == DataType::kFloat64 ? sizeof(double) : sizeof(float);
  return 2 * acc_bytes * args.batch * args.inner;
}

cudaError_t launch_nll_loss(DataType dtype, const LossArgs& args, const void* log_prob, const void* labels,
                            const void* weights, void* loss, void* workspace, cudaStream_t stream) {
  return dispatch_loss_types(dtype, args.label_dtype, [&](auto tag, auto label_tag) {
    using T = decltype(tag);
    using Label = decltype(label_tag);
    return run_loss<T, Label>(args, labels, weights, loss, workspace, stream, [&](const LossTerms<T, Label>& terms) {
      const uint32_t count = args.batch * args.inner;
      if (count == 0) return cudaSuccess;
      const uint32_t grid = ceil_div(count, 256) < 65536 ? ceil_div(count, 256) : 65536;
      nll_loss_kernel<T, Label><<<grid, 256, 0, stream>>>(terms, static_cast<const T*>(log_prob));
      return cudaGetLastError();
    });
  });
}

cudaError_t launch_softmax_cross_entropy_loss(DataType dtype, const LossArgs& args, const GroupLayout& layout,
                                              const void* scores, const void* labels, const void* weights,
                                              void* loss, void* log_prob, void* workspace, cudaStream_t stream) {
  return dispatch_loss_types(dtype, args.label_dtype, [&](auto tag, auto label_tag) {
    using T = decltype(tag);
    using Label = decltype(label_tag);
    using A = AccOf<T>;
    return run_loss<T, Label>(args, labels, weights, loss, workspace, stream, [&](const LossTerms<T, Label>& terms) {
      const T* x = static_cast<const T*>(scores);
      T* lp = static_cast<T*>(log_prob);
      if (lp != nullptr)
        return launch_groups<T>(layout, x, LogSumExpReducer<A>{}, CrossEntropyEpilogue<T, Label, true>{terms, x, lp}, stream);
      return launch_groups<T>(layout, x, LogSumExpReducer<A>{}, CrossEntropyEpilogue<T, Label, false>{terms, x, lp}, stream);
    });
  });
}

}  // namespace kiln::cuda::reduce
