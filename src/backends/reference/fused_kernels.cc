// Reference kernels of Kiln's fused ops (ir/ops/fused_ops.h). They are the oracle for the
// backends' fused kernels, so they compute nothing themselves: each runs the registered kernels
// of the ops the layer replaced (Conv or MatMul, Add for bias and residual, the activation,
// Mul for the gate, Split for sibling outputs, the body's ops for Pointwise), in the original
// order, so a fused graph computes what the unfused one did. The quantized layers likewise run
// ConvInteger/MatMulInteger, DequantizeLinear, Add, the activation and QuantizeLinear (FP8 ones:
// DequantizeLinear, Cast and Conv/MatMul in double; see fp8_accumulators). QuantizeTranspose runs
// QuantizeLinear, then Transpose; QGlobalAveragePool DequantizeLinear, then GlobalAveragePool.
#include <algorithm>
#include <vector>

#include "backends/reference/kernel.h"
#include "ir/ops/fused_ops.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

// Runs `node`'s registered kernel on `inputs` into `outputs` (preallocated; they may alias an
// input for elementwise ops, which read each element before writing it).
Status run_kernel(const Node& node, std::vector<const Tensor*> inputs, std::vector<Tensor*> outputs) {
  const KernelFn* kernel = KernelRegistry::global().find(node.op_type(), node.domain());
  if (kernel == nullptr) return internal_error("no reference kernel for {}", node.op_type());
  std::vector<Tensor> out;
  for (Tensor* t : outputs) out.push_back(*t);
  KernelContext ctx(node, std::move(inputs), std::move(out));
  KILN_RETURN_IF_ERROR(with_context((*kernel)(ctx), node.op_type()));
  // A kernel may replace an output instead of filling it.
  for (size_t i = 0; i < outputs.size(); ++i) *outputs[i] = ctx.output(static_cast<int>(i));
  return Status::Ok();
}

// y += bias (broadcast along the last axis) or residual (same shape), in place.
Status add_in_place(Tensor& y, const Tensor& addend) {
  static const Node add = standalone_node("Add", 14);
  return run_kernel(add, {&y, &addend}, {&y});
}

// y = act(y), or y * act(y) when gated, in place.
Status activate_in_place(const Activation& act, Tensor& y) {
  if (act.none()) return Status::Ok();
  const Node node = activation_node(act);
  if (!act.gated) return run_kernel(node, {&y}, {&y});
  Tensor gate(y.dtype(), y.dims());
  KILN_RETURN_IF_ERROR(run_kernel(node, {&y}, {&gate}));
  static const Node mul = standalone_node("Mul", 14);
  return run_kernel(mul, {&y, &gate}, {&y});
}

const Tensor* optional_input(const KernelContext& ctx, int i) { return ctx.has_input(i) ? &ctx.input(i) : nullptr; }

// The layer's computation on its base op (Conv or MatMul) into one tensor `full`, then the
// epilogue, then (for merged siblings) the split into the outputs along `channel_axis`.
// `bias` is MatMul's (Conv's goes into the Conv kernel with its inputs).
Status run_fused(KernelContext& ctx, std::string_view base_op, std::vector<const Tensor*> base_inputs,
                 const Tensor* bias, int channel_axis) {
  const Node& node = ctx.node();
  const auto slices = node.attr_ints("output_channels");
  Tensor full = ctx.output(0);
  if (!slices.empty()) {
    std::vector<int64_t> dims = full.dims();
    const int axis = channel_axis < 0 ? full.rank() + channel_axis : channel_axis;
    dims[static_cast<size_t>(axis)] = 0;
    for (int64_t c : slices) dims[static_cast<size_t>(axis)] += c;
    full = Tensor(full.dtype(), std::move(dims));
  }
  // The base kernel reads its attributes from the fused node, which carries them under the same names.
  const KernelFn* base = KernelRegistry::global().find(base_op, "");
  if (base == nullptr) return internal_error("no reference kernel for {}", base_op);
  KernelContext base_ctx(node, std::move(base_inputs), {full});
  KILN_RETURN_IF_ERROR((*base)(base_ctx));
  full = base_ctx.output(0);
  if (bias != nullptr) KILN_RETURN_IF_ERROR(add_in_place(full, *bias));
  if (const Tensor* residual = optional_input(ctx, 3)) KILN_RETURN_IF_ERROR(add_in_place(full, *residual));
  KILN_RETURN_IF_ERROR(activate_in_place(activation_of_fused(node), full));
  if (slices.empty()) {
    ctx.output(0) = full;
    return Status::Ok();
  }
  const Node split = standalone_node("Split", 13, {{"axis", Attribute::of_int(channel_axis)}});
  std::vector<Tensor*> outputs;
  for (int i = 0; i < ctx.num_outputs(); ++i) outputs.push_back(&ctx.output(i));
  return run_kernel(split, {&full}, outputs);
}

Status fused_conv(KernelContext& ctx) {
  return run_fused(ctx, "Conv", {&ctx.input(0), &ctx.input(1), optional_input(ctx, 2)}, nullptr, 1);
}

Status fused_matmul(KernelContext& ctx) {
  return run_fused(ctx, "MatMul", {&ctx.input(0), &ctx.input(1)}, optional_input(ctx, 2), -1);
}

// One float32 value per output channel: x_scale * w_scale[k], the scale of the int32 accumulators.
Expected<Tensor> accumulator_scales(const KernelContext& ctx, int64_t channels) {
  KILN_ASSIGN_OR_RETURN(std::vector<double> x_scale, tensor_to_doubles(ctx.input(kQInputScale)));
  KILN_ASSIGN_OR_RETURN(std::vector<double> w_scale, tensor_to_doubles(ctx.input(kQWeightScale)));
  if (x_scale.size() != 1 || static_cast<int64_t>(w_scale.size()) != channels)
    return invalid_argument("expected one input scale and {} weight scales, got {} and {}", channels, x_scale.size(),
                            w_scale.size());
  Tensor scales(DataType::kFloat32, {channels});
  for (int64_t k = 0; k < channels; ++k)
    scales.data<float>()[k] = static_cast<float>(x_scale[0]) * static_cast<float>(w_scale[static_cast<size_t>(k)]);
  return scales;
}

// The residual as float32: int8 dequantized with its scale, 16-bit floats widened.
Expected<Tensor> float_residual(const KernelContext& ctx) {
  const Tensor& z = ctx.input(kQResidual);
  if (z.dtype() == DataType::kFloat32) return z;
  Tensor out(DataType::kFloat32, z.dims());
  if (z.dtype() == DataType::kInt8) {
    if (!ctx.has_input(kQResidualScale)) return invalid_argument("an int8 residual needs its scale");
    static const Node dequantize = standalone_node("DequantizeLinear", 13);
    KILN_RETURN_IF_ERROR(run_kernel(dequantize, {&z, &ctx.input(kQResidualScale)}, {&out}));
  } else {
    static const Node cast = standalone_node("Cast", 13, {{"to", Attribute::of_int(1)}});
    KILN_RETURN_IF_ERROR(run_kernel(cast, {&z}, {&out}));
  }
  return out;
}

// Writes the float32 result into Y, cast to Y's type (`output_dtype`).
Status store_float_output(KernelContext& ctx, Tensor& v) {
  Tensor& y = ctx.output(0);
  if (y.dtype() == DataType::kFloat32) {
    y = v;
    return Status::Ok();
  }
  const Node cast = standalone_node("Cast", 13, {{"to", Attribute::of_int(ctx.node().attr_int("output_dtype", 1))}});
  return run_kernel(cast, {&v}, {&y});
}

// Writes the float32 result into Y: quantized with y_scale (zero point 0), else cast to Y's type.
Status store_output(KernelContext& ctx, Tensor& v) {
  if (!ctx.has_input(kQOutputScale)) return store_float_output(ctx, v);
  static const Node quantize = standalone_node("QuantizeLinear", 13);
  const Tensor zero_point(DataType::kInt8, {});
  return run_kernel(quantize, {&v, &ctx.input(kQOutputScale), &zero_point}, {&ctx.output(0)});
}

// [K] values broadcast along the channel axis `axis` of a rank-`rank` tensor: [K, 1, ...] for NCHW.
Tensor along_channels(const Tensor& per_channel, size_t rank, int axis) {
  std::vector<int64_t> dims{per_channel.numel()};
  dims.resize(rank - static_cast<size_t>(axis), 1);
  return per_channel.reshaped(dims);
}

// The int8 layers' accumulators, dequantized: the exact int32 product by the integer op's kernel
// (ConvInteger, MatMulInteger, which read the attributes they share with the layer), times the
// channel scales by DequantizeLinear along `axis`.
Expected<Tensor> int8_accumulators(const KernelContext& ctx, std::string_view integer_op,
                                   const std::vector<int64_t>& dims, int axis, const Tensor& scales) {
  const KernelFn* integer = KernelRegistry::global().find(integer_op, "");
  if (integer == nullptr) return internal_error("no reference kernel for {}", integer_op);
  KernelContext integer_ctx(ctx.node(), {&ctx.input(kQInput), &ctx.input(kQWeights)}, {Tensor(DataType::kInt32, dims)});
  KILN_RETURN_IF_ERROR(with_context((*integer)(integer_ctx), integer_op));
  Tensor v(DataType::kFloat32, dims);
  const Node dequantize = standalone_node("DequantizeLinear", 13, {{"axis", Attribute::of_int(axis)}});
  KILN_RETURN_IF_ERROR(run_kernel(dequantize, {&integer_ctx.output(0), &scales}, {&v}));
  return v;
}

// The FP8 layers' accumulators, scaled: X and W decoded (DequantizeLinear with scale 1, exact)
// and widened to double (Cast), the float op's kernel (Conv, MatMul) in double, the sums rounded
// once to float32 (Cast), then times the channel scales (Mul). Every product of two E4M3 values is
// a multiple of 2^-18 below 2^18, so each partial sum is exact in double while the reduction has
// fewer than 2^17 terms: the accumulators are the exact sums rounded once, in any order, which is
// what a GPU's float accumulation is compared against.
Expected<Tensor> fp8_accumulators(const KernelContext& ctx, std::string_view float_op, const std::vector<int64_t>& dims,
                                  int axis, const Tensor& scales) {
  static const Node decode = standalone_node("DequantizeLinear", 13);
  static const Node widen = standalone_node("Cast", 13, {{"to", Attribute::of_int(11)}});
  static const Node narrow = standalone_node("Cast", 13, {{"to", Attribute::of_int(1)}});
  static const Node mul = standalone_node("Mul", 14);
  Tensor one(DataType::kFloat32, {});
  *one.data<float>() = 1.f;
  std::vector<Tensor> operands;
  for (int slot : {kQInput, kQWeights}) {
    const Tensor& q = ctx.input(slot);
    Tensor decoded(DataType::kFloat32, q.dims()), wide(DataType::kFloat64, q.dims());
    KILN_RETURN_IF_ERROR(run_kernel(decode, {&q, &one}, {&decoded}));
    KILN_RETURN_IF_ERROR(run_kernel(widen, {&decoded}, {&wide}));
    operands.push_back(std::move(wide));
  }
  const KernelFn* base = KernelRegistry::global().find(float_op, "");
  if (base == nullptr) return internal_error("no reference kernel for {}", float_op);
  KernelContext base_ctx(ctx.node(), {&operands[0], &operands[1]}, {Tensor(DataType::kFloat64, dims)});
  KILN_RETURN_IF_ERROR(with_context((*base)(base_ctx), float_op));
  Tensor v(DataType::kFloat32, dims);
  KILN_RETURN_IF_ERROR(run_kernel(narrow, {&base_ctx.output(0)}, {&v}));
  const Tensor channel_scales = along_channels(scales, dims.size(), axis);
  KILN_RETURN_IF_ERROR(run_kernel(mul, {&v, &channel_scales}, {&v}));
  return v;
}

// kiln.QConv and kiln.QMatMul: the scaled accumulators (int8 or FP8 above), with the output
// channel along `channel_axis`, then bias, residual and activation as in the float fused
// layers, then the output's quantization.
Status run_quantized(KernelContext& ctx, std::string_view integer_op, std::string_view float_op, int channel_axis) {
  const Node& node = ctx.node();
  const DataType x = ctx.input(kQInput).dtype(), w = ctx.input(kQWeights).dtype();
  const bool fp8 = x == DataType::kFloat8E4M3 && w == DataType::kFloat8E4M3;
  if (!fp8 && (x != DataType::kInt8 || w != DataType::kInt8))
    return unsupported("X and W must be both int8 or both float8e4m3, got {} and {}", data_type_name(x),
                       data_type_name(w));
  std::vector<int64_t> dims = ctx.output(0).dims();
  const int axis = channel_axis < 0 ? static_cast<int>(dims.size()) + channel_axis : channel_axis;
  const int64_t channels = dims[static_cast<size_t>(axis)];
  KILN_ASSIGN_OR_RETURN(Tensor scales, accumulator_scales(ctx, channels));
  KILN_ASSIGN_OR_RETURN(Tensor v, fp8 ? fp8_accumulators(ctx, float_op, dims, axis, scales)
                                      : int8_accumulators(ctx, integer_op, dims, axis, scales));
  if (const Tensor* bias = optional_input(ctx, kQBias)) {
    if (bias->dtype() != DataType::kFloat32 || bias->numel() != channels)
      return invalid_argument("the bias must be float32 with {} values, got {} {}", channels,
                              data_type_name(bias->dtype()), dims_to_string(bias->dims()));
    KILN_RETURN_IF_ERROR(add_in_place(v, along_channels(*bias, dims.size(), axis)));
  }
  if (ctx.has_input(kQResidual)) {
    KILN_ASSIGN_OR_RETURN(Tensor z, float_residual(ctx));
    KILN_RETURN_IF_ERROR(add_in_place(v, z));
  }
  KILN_RETURN_IF_ERROR(activate_in_place(activation_of_fused(node), v));
  return store_output(ctx, v);
}

Status qconv(KernelContext& ctx) { return run_quantized(ctx, "ConvInteger", "Conv", 1); }

Status qmatmul(KernelContext& ctx) { return run_quantized(ctx, "MatMulInteger", "MatMul", -1); }

// kiln.QuantizeTranspose: the graph it replaced, QuantizeLinear into x's shape, then Transpose
// (which reads `perm` from the layer, under the same name).
Status quantize_transpose(KernelContext& ctx) {
  static const Node quantize = standalone_node("QuantizeLinear", 13);
  const Tensor& x = ctx.input(0);
  Tensor q(ctx.output(0).dtype(), x.dims());
  KILN_RETURN_IF_ERROR(run_kernel(quantize, {&x, &ctx.input(1), optional_input(ctx, 2)}, {&q}));
  const KernelFn* transpose = KernelRegistry::global().find("Transpose", "");
  if (transpose == nullptr) return internal_error("no reference kernel for Transpose");
  KernelContext transpose_ctx(ctx.node(), {&q}, {ctx.output(0)});
  KILN_RETURN_IF_ERROR(with_context((*transpose)(transpose_ctx), "Transpose"));
  ctx.output(0) = transpose_ctx.output(0);
  return Status::Ok();
}

// kiln.QGlobalAveragePool: the graph it replaced, DequantizeLinear into float32, then
// GlobalAveragePool, then the cast to `output_dtype`.
Status dequantize_global_average_pool(KernelContext& ctx) {
  static const Node dequantize = standalone_node("DequantizeLinear", 13);
  static const Node pool = standalone_node("GlobalAveragePool", 1);
  const Tensor& x = ctx.input(0);
  Tensor dequantized(DataType::kFloat32, x.dims());
  KILN_RETURN_IF_ERROR(run_kernel(dequantize, {&x, &ctx.input(1), optional_input(ctx, 2)}, {&dequantized}));
  Tensor mean(DataType::kFloat32, ctx.output(0).dims());
  KILN_RETURN_IF_ERROR(run_kernel(pool, {&dequantized}, {&mean}));
  return store_float_output(ctx, mean);
}

Status pointwise(KernelContext& ctx) {
  const Attribute* body = ctx.node().attr("body");
  if (body == nullptr || !body->g) return invalid_argument("attribute 'body' is missing");
  if (ctx.subgraphs() == nullptr) return internal_error("Pointwise needs a subgraph runner");
  std::vector<Tensor> inputs;
  for (int i = 0; i < ctx.num_inputs(); ++i) inputs.push_back(ctx.input(i));
  KILN_ASSIGN_OR_RETURN(auto outputs, (*ctx.subgraphs())(*body->g, inputs));
  for (size_t i = 0; i < outputs.size(); ++i) ctx.set_output(static_cast<int>(i), std::move(outputs[i]));
  return Status::Ok();
}

// [N, C, spatial...] <-> [N, spatial..., C] with the Transpose kernel.
Expected<Tensor> permute_channels(const Tensor& t, bool to_channels_last) {
  std::vector<int64_t> perm(static_cast<size_t>(t.rank()));
  for (int i = 0; i < t.rank(); ++i) perm[static_cast<size_t>(i)] = i;
  if (to_channels_last)
    std::rotate(perm.begin() + 1, perm.begin() + 2, perm.end());
  else
    std::rotate(perm.begin() + 1, perm.end() - 1, perm.end());
  const Node transpose = standalone_node("Transpose", 13, {{"perm", Attribute::of_ints(perm)}});
  std::vector<int64_t> dims;
  for (int64_t p : perm) dims.push_back(t.dim(static_cast<int>(p)));
  Tensor out(t.dtype(), dims);
  KILN_RETURN_IF_ERROR(run_kernel(transpose, {&t}, {&out}));
  return out;
}

// The body's op on [N, C, ...] tensors, between the permutations.
Status channels_last(KernelContext& ctx) {
  const Attribute* body = ctx.node().attr("body");
  if (body == nullptr || !body->g) return invalid_argument("attribute 'body' is missing");
  if (ctx.subgraphs() == nullptr) return internal_error("ChannelsLast needs a subgraph runner");
  const auto flags = ctx.node().attr_ints("nhwc_inputs");
  std::vector<Tensor> inputs;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) {
      inputs.emplace_back();
      continue;
    }
    const Tensor& x = ctx.input(i);
    if (flags.at(static_cast<size_t>(i)) != 0 && x.rank() >= 3) {
      KILN_ASSIGN_OR_RETURN(Tensor nchw, permute_channels(x, false));
      inputs.push_back(std::move(nchw));
    } else {
      inputs.push_back(x);
    }
  }
  KILN_ASSIGN_OR_RETURN(auto outputs, (*ctx.subgraphs())(*body->g, inputs));
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i].rank() < 3) {
      ctx.set_output(static_cast<int>(i), std::move(outputs[i]));
      continue;
    }
    KILN_ASSIGN_OR_RETURN(Tensor nhwc, permute_channels(outputs[i], true));
    ctx.set_output(static_cast<int>(i), std::move(nhwc));
  }
  return Status::Ok();
}

}  // namespace

void register_fused_kernels(KernelRegistry& r) {
  const std::string domain(kKilnDomain);
  r.add(std::string(kFusedConvOp), fused_conv, domain);
  r.add(std::string(kFusedMatMulOp), fused_matmul, domain);
  r.add(std::string(kQConvOp), qconv, domain);
  r.add(std::string(kQMatMulOp), qmatmul, domain);
  r.add(std::string(kQuantizeTransposeOp), quantize_transpose, domain);
  r.add(std::string(kQGlobalAveragePoolOp), dequantize_global_average_pool, domain);
  r.add(std::string(kPointwiseOp), pointwise, domain);
  r.add(std::string(kChannelsLastOp), channels_last, domain);
}

}  // namespace kiln
