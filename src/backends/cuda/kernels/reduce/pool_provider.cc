// MaxPool and AveragePool (window kernels) and GlobalAveragePool, GlobalMaxPool and
// kiln.QGlobalAveragePool (the reduction core over the spatial axes, and in channels-last layout
// a second tactic: the 16-byte vector kernel of global_pool_kernels.cu), in NCHW or channels-last
// layout.
#include <limits>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/reduce/group_layout.h"
#include "backends/cuda/kernels/reduce/launchers.h"
#include "backends/cuda/kernels/reduce/plan_provider.h"
#include "backends/cuda/kernels/reduce/providers.h"
#include "ir/ops/conv_geometry.h"
#include "ir/ops/fused_ops.h"
#include "ir/ops/infer_utils.h"

namespace kiln::cuda::reduce {

namespace {

struct PoolPlan {
  bool global = false;
  DataType dtype = DataType::kUndefined;
  PoolWindow window;       // windowed pools
  ReduceKind global_kind = ReduceKind::kMean;
  GroupLayout layout;      // global pools
  // Global pools in channels-last layout: the problem of launch_nhwc_global_pool, which also
  // carries kiln.QGlobalAveragePool's output type, scale and zero point.
  NhwcGlobalPool nhwc;
  bool dequantize = false;  // kiln.QGlobalAveragePool
  std::string name;
  // Channels per thread of the vector kernel when it takes the layer (tactic 1), else 0:
  // launch_max_pool_vectorized for MaxPool, launch_nhwc_global_pool for the global pools.
  uint32_t vector_lanes = 0;
  bool vectorized = false;  // tactic 1 selected

  int64_t tactic_count() const { return vector_lanes > 0 ? 2 : 1; }
  void select_tactic(int64_t id) { vectorized = id == 1; }
  std::string tactic_name() const { return vectorized ? fmt::format("{}_v{}", name, vector_lanes) : name; }
  size_t workspace_bytes() const { return global && vectorized ? nhwc_global_pool_workspace(nhwc) : 0; }
  Status enqueue(const LaunchEnv& env, const std::vector<const void*>& in, const std::vector<void*>& out) const {
    if (global) return enqueue_global(env, in[0], out[0]);
    if (vectorized) KILN_CUDA_CHECK(launch_max_pool_vectorized(dtype, window, in[0], out[0], env.stream));
    else KILN_CUDA_CHECK(launch_pool(dtype, window, in[0], out[0], env.stream));
    return Status::Ok();
  }
  // The vector kernel needs X 16-byte aligned; the generic one takes any pointer.
  Status enqueue_global(const LaunchEnv& env, const void* x, void* y) const {
    if (vectorized && reinterpret_cast<uintptr_t>(x) % 16 == 0)
      KILN_CUDA_CHECK(launch_nhwc_global_pool(nhwc, x, y, env.workspace, env.stream));
    else if (dequantize)
      KILN_CUDA_CHECK(launch_dequantize_mean(dtype, nhwc.y_type, layout, nhwc.x_scale, nhwc.zero_point, x, y, env.stream));
    else
      KILN_CUDA_CHECK(launch_reduce(global_kind, dtype, layout, x, y, env.stream));
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

bool is_dequantizing_pool(const Node& op) { return op.domain() == kKilnDomain && op.op_type() == kQGlobalAveragePoolOp; }

// kiln.QGlobalAveragePool's types, scale and zero point (constants).
Status read_dequantize_params(const LayerSpec& spec, NhwcGlobalPool& pool) {
  if (spec.inputs.empty() || !spec.has_input(0) || spec.outputs.empty())
    return invalid_argument("QGlobalAveragePool without its input or output");
  pool.x_type = spec.inputs[0]->dtype;
  pool.y_type = spec.outputs[0].dtype;
  if (pool.x_type != DataType::kInt8 && pool.x_type != DataType::kUInt8)
    return unsupported("QGlobalAveragePool of {}", data_type_name(pool.x_type));
  KILN_RETURN_IF_ERROR(check_dtype(pool.y_type, {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16},
                                   "QGlobalAveragePool's output"));
  if (!spec.has_input(1) || spec.inputs[1]->host_constant == nullptr) return unsupported("a scale that is not a constant");
  KILN_ASSIGN_OR_RETURN(std::vector<double> scale, tensor_to_doubles(*spec.inputs[1]->host_constant));
  if (scale.size() != 1) return unsupported("a scale of {} values (per tensor only)", scale.size());
  pool.x_scale = static_cast<float>(scale[0]);
  if (spec.has_input(2)) {
    // The zero point is of X's 8-bit type, not an index tensor.
    if (spec.inputs[2]->host_constant == nullptr) return unsupported("a zero point that is not a constant");
    KILN_ASSIGN_OR_RETURN(std::vector<double> zero_point, tensor_to_doubles(*spec.inputs[2]->host_constant));
    if (zero_point.size() != 1) return unsupported("a zero point of {} values (per tensor only)", zero_point.size());
    pool.zero_point = static_cast<int32_t>(zero_point[0]);
  }
  return Status::Ok();
}

Expected<PoolPlan> make_pool_plan(const LayerSpec& spec) {
  const Node& op = *spec.op;
  const bool dequantize = is_dequantizing_pool(op);
  PoolPlan plan;
  if (dequantize) {
    KILN_RETURN_IF_ERROR(read_dequantize_params(spec, plan.nhwc));
  } else {
    KILN_RETURN_IF_ERROR(check_op(spec, {"MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"},
                                  /*channels_last_ok=*/true));
  }
  const TensorDesc& x = *spec.inputs[0];
  // MaxPool also runs on int8/uint8: an INT8 engine pools its quantized activations (the max of
  // quantized values is the quantized max, so the Q/DQ fusion moves dequantization past it).
  if (op.op_type() == "MaxPool" && (x.dtype == DataType::kInt8 || x.dtype == DataType::kUInt8)) {
    if (spec.outputs.size() > 1) return unsupported("MaxPool's Indices output on {}", data_type_name(x.dtype));
  } else if (!dequantize) {
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

  plan.dtype = x.dtype;
  plan.global = dequantize || op.op_type() == "GlobalAveragePool" || op.op_type() == "GlobalMaxPool";
  if (plan.global) {
    plan.global_kind = op.op_type() == "GlobalMaxPool" ? ReduceKind::kMax : ReduceKind::kMean;
    std::vector<bool> reduced(rank, true);
    reduced[0] = false;
    reduced[nhwc ? rank - 1 : 1] = false;
    KILN_ASSIGN_OR_RETURN(plan.layout, make_group_layout(x.dims, reduced));
    plan.dequantize = dequantize;
    NhwcGlobalPool& p = plan.nhwc;
    p.kind = dequantize ? NhwcGlobalPool::Kind::kDequantizeMean
             : plan.global_kind == ReduceKind::kMax ? NhwcGlobalPool::Kind::kMax
                                                    : NhwcGlobalPool::Kind::kMean;
    p.x_type = x.dtype;
    p.y_type = spec.outputs[0].dtype;
    p.batch = static_cast<uint32_t>(x.dims[0]);
    p.channels = static_cast<uint32_t>(channels);
    p.pixels = 1;
    for (int64_t d : spatial) p.pixels *= static_cast<uint32_t>(d);
    // The vector kernel: channels-last, C a multiple of the 16-byte vector, a grid of at most
    // 65535 images, some pixels, and for 8-bit X at most 2^23 of them (its exact int32 sums);
    // the generic kernel takes every other case.
    const uint32_t lanes = nhwc_global_pool_lanes(x.dtype);
    const bool pixels_ok = p.pixels > 0 && (!dequantize || p.pixels <= (1u << 23));
    if (nhwc && lanes > 0 && p.channels % lanes == 0 && pixels_ok && p.batch <= 65535 &&
        (dequantize || p.y_type == p.x_type))
      plan.vector_lanes = lanes;
    if (dequantize)
      plan.name = fmt::format("kiln_qglobalavgpool_{}_{}_to_{}", layout_tag, data_type_name(x.dtype), dtype_tag(p.y_type));
    else
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
