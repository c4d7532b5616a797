// Reference kernel of BatchNormalization: per-channel statistics, either given (inference) or
// of the batch itself (training_mode, which also updates the running statistics).
#include <cmath>

#include "backends/reference/kernel.h"
#include "backends/reference/norm_moments.h"
#include "core/dispatch.h"
#include "core/thread_pool.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

// y = x * a[c] + b[c], with the per-channel a and b folded in double.
template <class T>
void apply_channel_affine(const Tensor& x, Tensor& y, const std::vector<double>& a, const std::vector<double>& b,
                          int64_t spatial) {
  const int64_t channels = x.dim(1);
  parallel_for(x.dim(0) * channels, 1, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const size_t c = static_cast<size_t>(plane % channels);
      const T* in = x.data<T>() + plane * spatial;
      T* out = y.data<T>() + plane * spatial;
      for (int64_t i = 0; i < spatial; ++i) out[i] = static_cast<T>(static_cast<double>(in[i]) * a[c] + b[c]);
    }
  });
}

Status write_doubles(Tensor& t, const std::vector<double>& values) {
  return KILN_DISPATCH_FLOAT(t.dtype(), [&](auto tag) {
    using U = decltype(tag);
    for (size_t i = 0; i < values.size(); ++i) t.data<U>()[i] = static_cast<U>(values[i]);
    return Status::Ok();
  });
}

Status batch_norm(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t channels = x.dim(1);
  int64_t spatial = 1;
  for (int i = 2; i < x.rank(); ++i) spatial *= x.dim(i);
  std::vector<double> params[4];  // scale, B, mean, var
  const char* names[] = {"scale", "B", "mean", "var"};
  for (int i = 0; i < 4; ++i) {
    if (ctx.input(i + 1).numel() != channels)
      return invalid_argument("input {} has {} elements, expected {} (channels)", names[i], ctx.input(i + 1).numel(), channels);
    KILN_ASSIGN_OR_RETURN(params[i], tensor_to_doubles(ctx.input(i + 1)));
  }
  const std::vector<double>& scale = params[0];
  const std::vector<double>& bias = params[1];
  const std::vector<double>& mean = params[2];
  const std::vector<double>& var = params[3];
  const double epsilon = ctx.node().attr_float("epsilon", 1e-5f);
  const bool training = ctx.opset() >= 14 && ctx.node().attr_int("training_mode", 0) != 0;

  if (training) {
    // Normalize with the batch's own statistics (over N and the spatial axes), then blend them
    // into the running statistics: running = given * momentum + batch * (1 - momentum).
    const ReduceLayout layout({x.dim(0), channels, spatial}, {true, false, true});
    const auto affine = [&](int64_t at) {
      const size_t c = static_cast<size_t>(at / spatial % channels);
      return std::pair(scale[c], bias[c]);
    };
    std::vector<Moments> batch;
    KILN_RETURN_IF_ERROR(KILN_DISPATCH_FLOAT(x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      normalize_by_moments(x.data<T>(), ctx.output(0).data<T>(), layout, inv_sqrt_plus(epsilon), affine, &batch);
      return Status::Ok();
    }));
    const double momentum = ctx.node().attr_float("momentum", 0.9f);
    std::vector<double> running_mean(batch.size()), running_var(batch.size());
    for (size_t c = 0; c < batch.size(); ++c) {
      running_mean[c] = mean[c] * momentum + batch[c].mean * (1 - momentum);
      running_var[c] = var[c] * momentum + batch[c].var * (1 - momentum);
    }
    if (ctx.num_outputs() > 1 && ctx.node().output(1) != nullptr) KILN_RETURN_IF_ERROR(write_doubles(ctx.output(1), running_mean));
    if (ctx.num_outputs() > 2 && ctx.node().output(2) != nullptr) KILN_RETURN_IF_ERROR(write_doubles(ctx.output(2), running_var));
    return Status::Ok();
  }

  std::vector<double> a(static_cast<size_t>(channels)), b(static_cast<size_t>(channels));
  for (size_t c = 0; c < a.size(); ++c) {
    a[c] = scale[c] / std::sqrt(var[c] + epsilon);
    b[c] = bias[c] - mean[c] * a[c];
  }
  return KILN_DISPATCH_FLOAT(x.dtype(), [&](auto tag) {
    apply_channel_affine<decltype(tag)>(x, ctx.output(0), a, b, spatial);
    return Status::Ok();
  });
}

}  // namespace

void register_norm_batch_kernels(KernelRegistry& r) { r.add("BatchNormalization", batch_norm); }

}  // namespace kiln
