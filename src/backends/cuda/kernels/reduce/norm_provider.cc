// The normalizations: LayerNormalization, InstanceNormalization and MeanVarianceNormalization
// (moments of each group), LpNormalization (norm of each group), inference BatchNormalization
// (given per-channel statistics) and LRN (neighbouring channels).
#include <algorithm>
#include <limits>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/reduce/group_layout.h"
#include "backends/cuda/kernels/reduce/launchers.h"
#include "backends/cuda/kernels/reduce/plan_provider.h"
#include "backends/cuda/kernels/reduce/providers.h"
#include "ir/ops/infer_utils.h"

namespace kiln::cuda::reduce {

namespace {

struct NormPlan {
  enum class Mode { kMoments, kLp, kBatch, kLrn };
  Mode mode = Mode::kMoments;
  DataType dtype = DataType::kUndefined;
  GroupLayout layout;
  MomentsNorm moments;   // kMoments: the flags; pointers are filled at enqueue
  bool has_bias = false;
  int p = 2;             // kLp
  BatchNormArgs batch;   // kBatch: the shape; pointers are filled at enqueue
  LrnArgs lrn;           // kLrn
  std::string name;

  std::string tactic_name() const { return name; }
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& in, const std::vector<void*>& out) const {
    switch (mode) {
      case Mode::kMoments: {
        MomentsNorm m = moments;
        if (m.params != MomentsNorm::Params::kNone) {
          m.scale = in[1];
          m.bias = has_bias ? in[2] : nullptr;
        }
        // LayerNormalization's optional Mean and InvStdDev.
        if (out.size() > 1) m.mean = static_cast<float*>(out[1]);
        if (out.size() > 2) m.inv_std = static_cast<float*>(out[2]);
        KILN_CUDA_CHECK(launch_moments_norm(dtype, layout, m, in[0], out[0], env.stream));
        return Status::Ok();
      }
      case Mode::kLp:
        KILN_CUDA_CHECK(launch_lp_norm(p, dtype, layout, in[0], out[0], env.stream));
        return Status::Ok();
      case Mode::kBatch: {
        BatchNormArgs b = batch;
        b.scale = in[1];
        b.bias = in[2];
        b.mean = in[3];
        b.var = in[4];
        KILN_CUDA_CHECK(launch_batch_norm(dtype, b, in[0], out[0], env.stream));
        return Status::Ok();
      }
      case Mode::kLrn:
        KILN_CUDA_CHECK(launch_lrn(dtype, lrn, in[0], out[0], env.stream));
        return Status::Ok();
    }
    return internal_error("unknown normalization mode");
  }
};

// Parameter input `i` (when present): X's dtype and `count` elements.
Status check_param(const LayerSpec& spec, size_t i, int64_t count, std::string_view name) {
  if (!spec.has_input(i)) return Status::Ok();
  const TensorDesc& p = *spec.inputs[i];
  if (p.dtype != spec.inputs[0]->dtype)
    return unsupported("{} of type {} with X of type {}", name, data_type_name(p.dtype), data_type_name(spec.inputs[0]->dtype));
  if (p.numel() != count) return unsupported("{} with {} elements where {} are normalized together", name, p.numel(), count);
  return Status::Ok();
}

Expected<NormPlan> layer_norm_plan(const LayerSpec& spec) {
  const Node& op = *spec.op;
  const TensorDesc& x = *spec.inputs[0];
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(op.attr_int("axis", -1), static_cast<int>(x.dims.size())));
  int64_t cols = 1;
  for (size_t i = static_cast<size_t>(axis); i < x.dims.size(); ++i) cols *= x.dims[i];
  // Scale and B hold one value per normalized element: with as many elements as the normalized
  // dims, broadcasting to them (which shape inference checked) adds only size-1 axes.
  if (!spec.has_input(1)) return invalid_argument("LayerNormalization without Scale");
  KILN_RETURN_IF_ERROR(check_param(spec, 1, cols, "Scale"));
  KILN_RETURN_IF_ERROR(check_param(spec, 2, cols, "B"));
  for (size_t i = 1; i < spec.outputs.size(); ++i)
    if (op.output(static_cast<int>(i)) != nullptr && spec.outputs[i].dtype != DataType::kFloat32)
      return unsupported("LayerNormalization statistics of type {} (stash_type other than float)",
                         data_type_name(spec.outputs[i].dtype));
  NormPlan plan;
  plan.moments.params = MomentsNorm::Params::kPerElement;
  plan.moments.epsilon = op.attr_float("epsilon", 1e-5f);
  plan.has_bias = spec.has_input(2);
  KILN_ASSIGN_OR_RETURN(plan.layout, make_group_layout({cols == 0 ? 0 : x.numel() / cols, cols}, {false, true}));
  plan.name = fmt::format("kiln_layernorm_{}", dtype_tag(x.dtype));
  return plan;
}

Expected<NormPlan> instance_norm_plan(const LayerSpec& spec) {
  const TensorDesc& x = *spec.inputs[0];
  if (x.dims.size() < 3) return invalid_argument("InstanceNormalization of rank {} (expected [N, C, ...])", x.dims.size());
  const int64_t channels = x.dims[1];
  const int64_t spatial = x.numel() / std::max<int64_t>(1, x.dims[0] * channels);
  if (!spec.has_input(1) || !spec.has_input(2)) return invalid_argument("InstanceNormalization without scale or B");
  KILN_RETURN_IF_ERROR(check_param(spec, 1, channels, "scale"));
  KILN_RETURN_IF_ERROR(check_param(spec, 2, channels, "B"));
  NormPlan plan;
  plan.moments.params = MomentsNorm::Params::kPerChannel;
  plan.moments.channels = static_cast<uint32_t>(channels);
  plan.moments.epsilon = spec.op->attr_float("epsilon", 1e-5f);
  plan.has_bias = true;
  KILN_ASSIGN_OR_RETURN(plan.layout, make_group_layout({x.dims[0] * channels, spatial}, {false, true}));
  plan.name = fmt::format("kiln_instancenorm_{}", dtype_tag(x.dtype));
  return plan;
}

Expected<NormPlan> mvn_plan(const LayerSpec& spec) {
  const TensorDesc& x = *spec.inputs[0];
  std::vector<bool> reduced(x.dims.size(), false);
  for (int64_t a : spec.op->attr_ints("axes", {0, 2, 3})) {
    KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(a, static_cast<int>(x.dims.size())));
    reduced[static_cast<size_t>(axis)] = true;
  }
  NormPlan plan;
  plan.moments.mvn = true;
  KILN_ASSIGN_OR_RETURN(plan.layout, make_group_layout(x.dims, reduced));
  plan.name = fmt::format("kiln_mvn_{}", dtype_tag(x.dtype));
  return plan;
}

Expected<NormPlan> lp_norm_plan(const LayerSpec& spec) {
  const TensorDesc& x = *spec.inputs[0];
  NormPlan plan;
  plan.mode = NormPlan::Mode::kLp;
  plan.p = static_cast<int>(spec.op->attr_int("p", 2));
  if (plan.p != 1 && plan.p != 2) return unsupported("LpNormalization with p = {} (1 or 2 only)", plan.p);
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(spec.op->attr_int("axis", -1), static_cast<int>(x.dims.size())));
  KILN_ASSIGN_OR_RETURN(plan.layout, make_axis_layout(x.dims, axis));
  plan.name = fmt::format("kiln_lpnorm_l{}_{}", plan.p, dtype_tag(x.dtype));
  return plan;
}

Expected<NormPlan> batch_norm_plan(const LayerSpec& spec) {
  const Node& op = *spec.op;
  const TensorDesc& x = *spec.inputs[0];
  if (op.opset() >= 14 && op.attr_int("training_mode", 0) != 0) return unsupported("BatchNormalization in training mode");
  if (spec.outputs.size() > 1) return unsupported("BatchNormalization's training outputs");
  if (x.dims.size() < 2) return invalid_argument("BatchNormalization of rank {} (expected [N, C, ...])", x.dims.size());
  if (spec.channels_last && !spec.is_nhwc_input(0)) return unsupported("BatchNormalization of a channels-first X in a channels-last layer");
  if (x.numel() > std::numeric_limits<int32_t>::max()) return unsupported("{} elements (32-bit indexing)", x.numel());
  const int64_t channels = spec.channels_last ? x.dims.back() : x.dims[1];
  const char* names[] = {"scale", "B", "input_mean", "input_var"};
  for (size_t i = 1; i <= 4; ++i) {
    if (!spec.has_input(i)) return invalid_argument("BatchNormalization without {}", names[i - 1]);
    KILN_RETURN_IF_ERROR(check_param(spec, i, channels, names[i - 1]));
  }
  NormPlan plan;
  plan.mode = NormPlan::Mode::kBatch;
  plan.batch.numel = static_cast<uint32_t>(x.numel());
  plan.batch.channels = static_cast<uint32_t>(channels);
  plan.batch.inner = spec.channels_last ? 1u : static_cast<uint32_t>(x.numel() / std::max<int64_t>(1, x.dims[0] * channels));
  plan.batch.epsilon = op.attr_float("epsilon", 1e-5f);
  plan.name = fmt::format("kiln_batchnorm_{}_{}", spec.channels_last ? "nhwc" : "nchw", dtype_tag(x.dtype));
  return plan;
}

Expected<NormPlan> lrn_plan(const LayerSpec& spec) {
  const Node& op = *spec.op;
  const TensorDesc& x = *spec.inputs[0];
  if (x.dims.size() < 2) return invalid_argument("LRN of rank {} (expected [N, C, ...])", x.dims.size());
  if (x.numel() > std::numeric_limits<int32_t>::max()) return unsupported("{} elements (32-bit indexing)", x.numel());
  NormPlan plan;
  plan.mode = NormPlan::Mode::kLrn;
  plan.lrn.numel = static_cast<uint32_t>(x.numel());
  plan.lrn.channels = static_cast<uint32_t>(x.dims[1]);
  plan.lrn.inner = static_cast<uint32_t>(x.numel() / std::max<int64_t>(1, x.dims[0] * x.dims[1]));
  const int64_t size = op.attr_int("size", 1);
  if (size < 1) return invalid_argument("LRN 'size' must be positive, got {}", size);
  plan.lrn.size = static_cast<uint32_t>(size);
  plan.lrn.alpha = op.attr_float("alpha", 1e-4f);
  plan.lrn.beta = op.attr_float("beta", 0.75f);
  plan.lrn.bias = op.attr_float("bias", 1.f);
  plan.name = fmt::format("kiln_lrn_{}", dtype_tag(x.dtype));
  return plan;
}

Expected<NormPlan> make_norm_plan(const LayerSpec& spec) {
  const bool batch_norm = spec.op->op_type() == "BatchNormalization";
  KILN_RETURN_IF_ERROR(check_op(spec, {"LayerNormalization", "InstanceNormalization", "MeanVarianceNormalization",
                                       "LpNormalization", "BatchNormalization", "LRN"},
                                /*channels_last_ok=*/batch_norm));
  KILN_RETURN_IF_ERROR(check_dtype(spec.inputs[0]->dtype, kFloatTypes, spec.op->op_type()));
  const std::string& type = spec.op->op_type();
  Expected<NormPlan> plan = type == "LayerNormalization"      ? layer_norm_plan(spec)
                            : type == "InstanceNormalization" ? instance_norm_plan(spec)
                            : type == "LpNormalization"       ? lp_norm_plan(spec)
                            : batch_norm                      ? batch_norm_plan(spec)
                            : type == "LRN"                   ? lrn_plan(spec)
                                                              : mvn_plan(spec);
  if (plan.ok()) plan->dtype = spec.inputs[0]->dtype;
  return plan;
}

}  // namespace

const TacticProvider* norm_provider() {
  static const PlanProvider<NormPlan> provider("kiln_norm", make_norm_plan);
  return &provider;
}

}  // namespace kiln::cuda::reduce
