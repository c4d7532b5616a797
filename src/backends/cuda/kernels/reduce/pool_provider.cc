// MaxPool and AveragePool (window kernels) and GlobalAveragePool and GlobalMaxPool (the
// reduction core over the spatial axes), in NCHW or channels-last layout.
#include <limits>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/reduce/group_layout.h"
#include "backends/cuda/kernels/reduce/launchers.h"
#include "backends/cuda/kernels/reduce/plan_provider.h"
#include "backends/cuda/kernels/reduce/providers.h"
#include "ir/ops/conv_geometry.h"

namespace kiln::cuda::reduce {

namespace {

struct PoolPlan {
  bool global = false;
  DataType dtype = DataType::kUndefined;
  PoolWindow window;       // windowed pools
  ReduceKind global_kind = ReduceKind::kMean;
  GroupLayout layout;      // global pools
  std::string name;
  // Channels per thread of launch_max_pool_vectorized when it takes the layer (tactic 1), else 0.
  uint32_t vector_lanes = 0;
  bool vectorized = false;  // tactic 1 selected

  int64_t tactic_count() const { return vector_lanes > 0 ? 2 : 1; }
  void select_tactic(int64_t id) { vectorized = id == 1; }
  std::string tactic_name() const { return vectorized ? fmt::format("{}_v{}", name, vector_lanes) : name; }
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& in, const std::vector<void*>& out) const {
    if (global) KILN_CUDA_CHECK(launch_reduce(global_kind, dtype, layout, in[0], out[0], env.stream));
    else if (vectorized) KILN_CUDA_CHECK(launch_max_pool_vectorized(dtype, window, in[0], out[0], env.stream));
    else KILN_CUDA_CHECK(launch_pool(dtype, window, in[0], out[0], env.stream));
    return Status::Ok();
  }
};

// Channels per 16-byte vector when launch_max_pool_vectorized takes the pool (a channels-last
// MaxPool of int8, uint8 or float16 with C a multiple of them), else 0.
uint32_t max_pool_vector_lanes(const PoolWindow& w, DataType dtype) {
  if (w.kind != PoolWindow::Kind::kMax || !w.channels_last) return 0;
  uint32_t lanes = 0;
  if (dtype == DataType::kFloat16) lanes = 8;
  if (dtype == DataType::kInt8 || dtype == DataType::kUInt8) lanes = 16;
  return lanes > 0 && w.channels % lanes == 0 ? lanes : 0;
}

Status window_of(const LayerSpec& spec, const std::vector<int64_t>& spatial, PoolWindow& w) {
  const Node& op = *spec.op;
  if (op.op_type() == "MaxPool" && (spec.outputs.size() > 1 || op.output(1) != nullptr))
    return unsupported("MaxPool's Indices output");
  KILN_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(op, spatial, op.attr_ints("kernel_shape"), false));
  w.kind = op.op_type() == "MaxPool" ? PoolWindow::Kind::kMax : PoolWindow::Kind::kAverage;
  w.count_include_pad = op.attr_int("count_include_pad", 0) != 0;
  // 1-D and 2-D pools are 3-D pools with leading size-1 axes.
  const size_t shift = 3 - spatial.size();
  for (size_t i = 0; i < spatial.size(); ++i) {
    const size_t a = shift + i;
    w.input[a] = static_cast<uint32_t>(g.input[i]);
    w.output[a] = static_cast<uint32_t>(g.output[i]);
    w.kernel[a] = static_cast<uint32_t>(g.kernel[i]);
    w.stride[a] = static_cast<uint32_t>(g.strides[i]);
    w.dilation[a] = static_cast<uint32_t>(g.dilations[i]);
    w.pad_begin[a] = static_cast<uint32_t>(g.pads_begin[i]);
    w.pad_end[a] = static_cast<uint32_t>(g.pads_end[i]);
  }
  return Status::Ok();
}

Expected<PoolPlan> make_pool_plan(const LayerSpec& spec) {
  KILN_RETURN_IF_ERROR(check_op(spec, {"MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"},
                                /*channels_last_ok=*/true));
  const Node& op = *spec.op;
  const TensorDesc& x = *spec.inputs[0];
  // MaxPool also runs on int8/uint8: an INT8 engine pools its quantized activations (the max of
  // quantized values is the quantized max, so the Q/DQ fusion moves dequantization past it).
  if (op.op_type() == "MaxPool" && (x.dtype == DataType::kInt8 || x.dtype == DataType::kUInt8)) {
    if (spec.outputs.size() > 1) return unsupported("MaxPool's Indices output on {}", data_type_name(x.dtype));
  } else {
    KILN_RETURN_IF_ERROR(check_dtype(x.dtype, kFloatTypes, op.op_type()));
  }
  const bool nhwc = spec.channels_last;
  if (nhwc && !spec.is_nhwc_input(0)) return unsupported("{} of a channels-first X in a channels-last layer", op.op_type());
  const size_t rank = x.dims.size();
  if (rank < 3 || rank > 5) return unsupported("{} over {} spatial axes (1 to 3 are supported)", op.op_type(), static_cast<int>(rank) - 2);
  if (x.numel() > std::numeric_limits<int32_t>::max() || spec.outputs[0].numel() > std::numeric_limits<int32_t>::max())
    return unsupported("{} elements (32-bit indexing)", x.numel());
  // Physical dims: [N, C, spatial...] or [N, spatial..., C].
  const int64_t channels = nhwc ? x.dims.back() : x.dims[1];
  const std::vector<int64_t> spatial(x.dims.begin() + (nhwc ? 1 : 2), x.dims.end() - (nhwc ? 1 : 0));
  const char* layout_tag = nhwc ? "nhwc" : "nchw";

  PoolPlan plan;
  plan.dtype = x.dtype;
  plan.global = op.op_type() == "GlobalAveragePool" || op.op_type() == "GlobalMaxPool";
  if (plan.global) {
    plan.global_kind = op.op_type() == "GlobalAveragePool" ? ReduceKind::kMean : ReduceKind::kMax;
    std::vector<bool> reduced(rank, true);
    reduced[0] = false;
    reduced[nhwc ? rank - 1 : 1] = false;
    KILN_ASSIGN_OR_RETURN(plan.layout, make_group_layout(x.dims, reduced));
    plan.name = fmt::format("kiln_{}_{}_{}", plan.global_kind == ReduceKind::kMean ? "globalavgpool" : "globalmaxpool",
                            layout_tag, dtype_tag(x.dtype));
    return plan;
  }
  KILN_RETURN_IF_ERROR(window_of(spec, spatial, plan.window));
  plan.window.channels_last = nhwc;
  plan.window.batch = static_cast<uint32_t>(x.dims[0]);
  plan.window.channels = static_cast<uint32_t>(channels);
  plan.vector_lanes = max_pool_vector_lanes(plan.window, x.dtype);
  plan.name = fmt::format("kiln_{}_{}_{}", op.op_type() == "MaxPool" ? "maxpool" : "avgpool", layout_tag, dtype_tag(x.dtype));
  return plan;
}

}  // namespace

const TacticProvider* pool_provider() {
  static const PlanProvider<PoolPlan> provider("kiln_pool", make_pool_plan);
  return &provider;
}

}  // namespace kiln::cuda::reduce
