// Reference kernels of the ops that normalize groups of elements by their own statistics:
// InstanceNormalization, LayerNormalization, GroupNormalization, MeanVarianceNormalization.
#include <utility>

#include "backends/reference/broadcast.h"
#include "backends/reference/kernel.h"
#include "backends/reference/norm_moments.h"
#include "core/dispatch.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

// Product of dims[from:].
int64_t trailing_size(const std::vector<int64_t>& dims, size_t from) {
  int64_t n = 1;
  for (size_t i = from; i < dims.size(); ++i) n *= dims[i];
  return n;
}

Expected<std::vector<double>> vector_of(const KernelContext& ctx, int i, int64_t size, const char* name) {
  const Tensor& t = ctx.input(i);
  if (t.numel() != size) return invalid_argument("input {} has {} elements, expected {}", name, t.numel(), size);
  return tensor_to_doubles(t);
}

Status instance_norm(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t channels = x.dim(1);
  const int64_t spatial = trailing_size(x.dims(), 2);
  KILN_ASSIGN_OR_RETURN(std::vector<double> scale, vector_of(ctx, 1, channels, "scale"));
  KILN_ASSIGN_OR_RETURN(std::vector<double> bias, vector_of(ctx, 2, channels, "B"));
  // Groups are the (n, c) planes.
  const ReduceLayout layout({x.dim(0) * channels, spatial}, {false, true});
  const auto affine = [&](int64_t at) {
    const size_t c = static_cast<size_t>(at / spatial % channels);
    return std::pair(scale[c], bias[c]);
  };
  return KILN_DISPATCH_FLOAT(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    normalize_by_moments(x.data<T>(), ctx.output(0).data<T>(), layout, inv_sqrt_plus(ctx.node().attr_float("epsilon", 1e-5f)),
                         affine, nullptr);
    return Status::Ok();
  });
}

// Scale or B laid out over the normalized dims (numpy broadcasting), as doubles.
Expected<std::vector<double>> broadcast_param(const Tensor& t, const std::vector<int64_t>& normalized_dims) {
  KILN_ASSIGN_OR_RETURN(std::vector<double> values, tensor_to_doubles(t));
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> joint, broadcast_dims({normalized_dims, t.dims()}));
  if (joint != normalized_dims)
    return invalid_argument("a parameter of shape {} does not broadcast to the normalized shape {}", dims_to_string(t.dims()),
                            dims_to_string(normalized_dims));
  std::vector<double> out(static_cast<size_t>(checked_numel(normalized_dims)));
  BroadcastIterator it(normalized_dims, {t.dims()});
  for (double& v : out) {
    v = values[static_cast<size_t>(it.offset(0))];
    it.next();
  }
  return out;
}

Status layer_norm(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(ctx.node().attr_int("axis", -1), x.rank()));
  const std::vector<int64_t> normalized(x.dims().begin() + axis, x.dims().end());
  const int64_t cols = checked_numel(normalized);
  KILN_ASSIGN_OR_RETURN(std::vector<double> scale, broadcast_param(ctx.input(1), normalized));
  std::vector<double> bias(scale.size(), 0.0);
  if (ctx.has_input(2)) {
    KILN_ASSIGN_OR_RETURN(bias, broadcast_param(ctx.input(2), normalized));
  }
  const ReduceLayout layout({x.numel() / std::max<int64_t>(cols, 1), cols}, {false, true});
  const auto affine = [&](int64_t at) {
    const size_t i = static_cast<size_t>(at % cols);
    return std::pair(scale[i], bias[i]);
  };
  const double epsilon = ctx.node().attr_float("epsilon", 1e-5f);
  std::vector<Moments> moments;
  KILN_RETURN_IF_ERROR(KILN_DISPATCH_FLOAT(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    normalize_by_moments(x.data<T>(), ctx.output(0).data<T>(), layout, inv_sqrt_plus(epsilon), affine, &moments);
    return Status::Ok();
  }));
  // Optional outputs Mean and InvStdDev, in the stash type.
  for (int out = 1; out < ctx.num_outputs(); ++out) {
    if (ctx.node().output(out) == nullptr) continue;
    Tensor& t = ctx.output(out);
    KILN_RETURN_IF_ERROR(KILN_DISPATCH_FLOAT(t.dtype(), [&](auto tag) {
      using U = decltype(tag);
      for (size_t g = 0; g < moments.size(); ++g)
        t.data<U>()[g] = static_cast<U>(out == 1 ? moments[g].mean : 1.0 / std::sqrt(moments[g].var + epsilon));
      return Status::Ok();
    }));
  }
  return Status::Ok();
}

Status group_norm(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t channels = x.dim(1);
  const int64_t groups = ctx.node().attr_int("num_groups");
  const int64_t spatial = trailing_size(x.dims(), 2);
  const int64_t per_group = channels / groups;
  // One scale/bias per group (opset 18) or per channel (opset 21).
  const int64_t params = ctx.input(1).numel();
  KILN_ASSIGN_OR_RETURN(std::vector<double> scale, vector_of(ctx, 1, params == groups ? groups : channels, "scale"));
  KILN_ASSIGN_OR_RETURN(std::vector<double> bias, vector_of(ctx, 2, params, "bias"));
  const ReduceLayout layout({x.dim(0) * groups, per_group * spatial}, {false, true});
  const auto affine = [&](int64_t at) {
    const int64_t c = at / spatial % channels;
    const size_t i = static_cast<size_t>(params == channels ? c : c / per_group);
    return std::pair(scale[i], bias[i]);
  };
  return KILN_DISPATCH_FLOAT(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    normalize_by_moments(x.data<T>(), ctx.output(0).data<T>(), layout, inv_sqrt_plus(ctx.node().attr_float("epsilon", 1e-5f)),
                         affine, nullptr);
    return Status::Ok();
  });
}

Status mean_variance_norm(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  std::vector<bool> reduced(static_cast<size_t>(x.rank()), false);
  for (int64_t a : ctx.node().attr_ints("axes")) {
    KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(a, x.rank()));
    reduced[static_cast<size_t>(axis)] = true;
  }
  const ReduceLayout layout(x.dims(), reduced);
  // ONNX divides by the standard deviation plus 1e-9 (not by sqrt(var + epsilon)).
  const auto inv_std = [](double var) { return 1.0 / (std::sqrt(var) + 1e-9); };
  const auto no_affine = [](int64_t) { return std::pair(1.0, 0.0); };
  return KILN_DISPATCH_FLOAT(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    normalize_by_moments(x.data<T>(), ctx.output(0).data<T>(), layout, inv_std, no_affine, nullptr);
    return Status::Ok();
  });
}

}  // namespace

void register_norm_moments_kernels(KernelRegistry& r) {
  r.add("InstanceNormalization", instance_norm);
  r.add("LayerNormalization", layer_norm);
  r.add("GroupNormalization", group_norm);
  r.add("MeanVarianceNormalization", mean_variance_norm);
}

}  // namespace kiln
