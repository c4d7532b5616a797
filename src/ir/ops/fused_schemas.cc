// Schemas of Kiln's fused ops (ir/ops/fused_ops.h). Their inference is that of the op they are
// built on (Conv, MatMul, the body's ops), so a fused layer's shapes are exactly the originals'.
#include <algorithm>
#include <climits>
#include <functional>
#include <unordered_map>

#include "core/error.h"
#include "ir/op_schema.h"
#include "ir/ops/conv_geometry.h"
#include "ir/ops/fused_ops.h"
#include "ir/ops/infer_utils.h"
#include "ir/ops/transpose_perm.h"

namespace kiln {

namespace {

OpSchema activation_attrs(OpSchema s) {
  return std::move(s)
      .attr("activation", Attribute::of_string(""))
      .attr("activation_alpha", Attribute::of_float(0.f))
      .attr("activation_beta", Attribute::of_float(0.f))
      .attr("activation_gated", Attribute::of_int(0));
}

OpSchema epilogue_attrs(OpSchema s) { return activation_attrs(std::move(s)).attr("output_channels", AttrType::kInts); }

// Runs the base op's inference (it reads only the inputs and attributes the fused op shares
// with it), then splits output 0 into `output_channels` slices along `axis` (1 for Conv,
// the last for MatMul).
Status infer_on_base(InferContext& ctx, std::string_view base_op, bool channel_axis_last) {
  const OpSchema* base = OpRegistry::global().find(base_op, "");
  if (base == nullptr || !base->infer_fn) return internal_error("no schema for {}", base_op);
  KILN_RETURN_IF_ERROR(base->infer_fn(ctx));
  const auto slices = ctx.node().attr_ints("output_channels");
  if (slices.empty()) {
    if (ctx.num_outputs() != 1) return invalid_argument("several outputs need 'output_channels'");
    return Status::Ok();
  }
  if (static_cast<int>(slices.size()) != ctx.num_outputs())
    return invalid_argument("'output_channels' has {} entries for {} outputs", slices.size(), ctx.num_outputs());
  if (ctx.has_input(3)) return invalid_argument("a residual input needs a single output");
  const auto [dtype, full] = ctx.output(0);
  if (!full.rank_known()) {
    for (int i = 0; i < ctx.num_outputs(); ++i) ctx.set_output(i, dtype, Shape::unknown());
    return Status::Ok();
  }
  const int axis = channel_axis_last ? full.rank() - 1 : 1;
  int64_t total = 0;
  for (int64_t c : slices) {
    if (c <= 0) return invalid_argument("'output_channels' entries must be positive, got {}", c);
    total += c;
  }
  if (full[axis].is_static() && full[axis].value != total)
    return invalid_argument("'output_channels' add up to {}, but the layer computes {} channels", total,
                            full[axis].value);
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    std::vector<Dim> dims(full.dims().begin(), full.dims().end());
    dims[static_cast<size_t>(axis)] = Dim(slices[static_cast<size_t>(i)]);
    ctx.set_output(i, dtype, Shape(std::move(dims)));
  }
  return Status::Ok();
}

// Each body node's inference in turn, from the layer's input types, shapes and values;
// `to_body` and `from_body` map shapes across the layer boundary (identity for Pointwise, the
// channels-last permutations for ChannelsLast).
Status infer_body(InferContext& ctx, const std::function<Shape(int input, const Shape&)>& to_body,
                  const std::function<Shape(const Shape&)>& from_body) {
  const Attribute* body_attr = ctx.node().attr("body");
  if (body_attr == nullptr || !body_attr->g) return invalid_argument("attribute 'body' is missing");
  const Graph& body = *body_attr->g;
  if (static_cast<int>(body.inputs().size()) != ctx.num_inputs() ||
      static_cast<int>(body.outputs().size()) != ctx.num_outputs())
    return invalid_argument("the body takes {} inputs and makes {} outputs, the layer has {} and {}",
                            body.inputs().size(), body.outputs().size(), ctx.num_inputs(), ctx.num_outputs());
  std::unordered_map<const Value*, InferContext::Input> known;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    known[body.inputs()[static_cast<size_t>(i)]] = {true, ctx.input_type(i), to_body(i, ctx.input_shape(i)),
                                                    ctx.input_value(i)};
  }
  auto input_of = [&](const Value* v) {
    InferContext::Input in;
    if (v == nullptr) return in;
    if (v->is_constant()) return InferContext::Input{true, v->dtype(), v->shape(), &v->constant()};
    auto it = known.find(v);
    return it == known.end() ? in : it->second;
  };
  for (const auto& node : body.nodes()) {
    std::vector<InferContext::Input> inputs;
    for (const Value* v : node->inputs()) inputs.push_back(input_of(v));
    KILN_ASSIGN_OR_RETURN(auto outs, infer_node(*node, std::move(inputs)));
    for (size_t i = 0; i < outs.size() && i < node->outputs().size(); ++i)
      if (const Value* v = node->outputs()[i]) known[v] = {true, outs[i].first, outs[i].second, nullptr};
  }
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    const InferContext::Input out = input_of(body.outputs()[static_cast<size_t>(i)]);
    if (!out.present) return invalid_argument("the body does not compute its output {}", i);
    ctx.set_output(i, out.dtype, from_body(out.shape));
  }
  return Status::Ok();
}

bool is_float_activation(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat16 || t == DataType::kBFloat16;
}

Status check_scalar(InferContext& ctx, int i, const char* what) {
  if (!ctx.has_input(i)) return invalid_argument("the {} is missing", what);
  if (ctx.input_type(i) != DataType::kFloat32)
    return invalid_argument("the {} must be float32, got {}", what, data_type_name(ctx.input_type(i)));
  const auto dims = ctx.input_shape(i).static_dims();
  if (dims && checked_numel(*dims) != 1) return invalid_argument("the {} must be one value, got {}", what, dims_to_string(*dims));
  return Status::Ok();
}

// kiln.QConv / kiln.QMatMul: the integer op's shapes (`base_op`: ConvInteger or MatMulInteger,
// which read only X, W and the attributes they share), the output type from y_scale or
// `output_dtype`, and the pairing rules of the optional inputs. X and W are both int8 or both
// float8e4m3 (FP8 layers have a float output).
Status infer_quantized(InferContext& ctx, std::string_view base_op, int weight_channel_axis) {
  const DataType x = ctx.input_type(kQInput), w = ctx.input_type(kQWeights);
  const bool known = x != DataType::kUndefined && w != DataType::kUndefined;
  for (DataType t : {x, w})
    if ((t != DataType::kInt8 && t != DataType::kFloat8E4M3 && t != DataType::kUndefined) || (known && x != w))
      return invalid_argument("X and W must be both int8 or both float8e4m3, got {} and {}", data_type_name(x),
                              data_type_name(w));
  if ((x == DataType::kFloat8E4M3 || w == DataType::kFloat8E4M3) && ctx.has_input(kQOutputScale))
    return invalid_argument("a float8e4m3 layer has a float output: no output scale");
  KILN_RETURN_IF_ERROR(check_scalar(ctx, kQInputScale, "input scale"));
  if (ctx.input_type(kQWeightScale) != DataType::kFloat32)
    return invalid_argument("the weight scales must be float32, got {}", data_type_name(ctx.input_type(kQWeightScale)));
  const Shape& ws = ctx.input_shape(kQWeightScale);
  const Shape& wshape = ctx.input_shape(kQWeights);
  if (ws.rank_known() && wshape.rank_known() && wshape.rank() >= 1) {
    const Dim channels = wshape[weight_channel_axis < 0 ? wshape.rank() + weight_channel_axis : weight_channel_axis];
    if (ws.rank() != 1 || (ws[0].is_static() && channels.is_static() && ws[0].value != channels.value))
      return invalid_argument("the weight scales {} must hold one value per output channel ({})", ws.to_string(),
                              channels.is_static() ? std::to_string(channels.value) : "?");
  }
  if (ctx.has_input(kQBias) && ctx.input_type(kQBias) != DataType::kFloat32)
    return invalid_argument("the bias must be float32, got {}", data_type_name(ctx.input_type(kQBias)));
  if (ctx.has_input(kQResidual)) {
    const DataType z = ctx.input_type(kQResidual);
    if (z == DataType::kInt8) KILN_RETURN_IF_ERROR(check_scalar(ctx, kQResidualScale, "residual scale"));
    else if (!is_float_activation(z) && z != DataType::kUndefined)
      return invalid_argument("the residual must be int8 or a float type, got {}", data_type_name(z));
    else if (ctx.has_input(kQResidualScale)) return invalid_argument("a float residual takes no residual scale");
  } else if (ctx.has_input(kQResidualScale)) {
    return invalid_argument("a residual scale without a residual");
  }
  const OpSchema* base = OpRegistry::global().find(base_op, "");
  if (base == nullptr || !base->infer_fn) return internal_error("no schema for {}", base_op);
  KILN_RETURN_IF_ERROR(base->infer_fn(ctx));
  DataType out = DataType::kInt8;
  if (ctx.has_input(kQOutputScale)) {
    KILN_RETURN_IF_ERROR(check_scalar(ctx, kQOutputScale, "output scale"));
  } else {
    KILN_ASSIGN_OR_RETURN(out, data_type_from_onnx_number(ctx.node().attr_int("output_dtype", 1)));
    if (!is_float_activation(out))
      return invalid_argument("'output_dtype' must be float32, float16 or bfloat16, got {}", data_type_name(out));
  }
  const auto [acc_type, shape] = ctx.output(0);
  if (ctx.has_input(kQResidual) && shape.is_static() && ctx.input_shape(kQResidual).is_static() &&
      !(ctx.input_shape(kQResidual) == shape))
    return invalid_argument("the residual {} must have the output's shape {}", ctx.input_shape(kQResidual).to_string(),
                            shape.to_string());
  ctx.set_output(0, out, shape);
  return Status::Ok();
}

// kiln.QuantizeTranspose: QuantizeLinear's checks and output type, on the transposed shape. Only
// per-tensor parameters: a per-axis scale names an axis of x, which the transpose moves.
Status infer_quantize_transpose(InferContext& ctx) {
  for (int i : {1, 2}) {
    if (!ctx.has_input(i)) continue;
    const auto dims = ctx.input_shape(i).static_dims();
    if (dims && checked_numel(*dims) != 1)
      return invalid_argument("the {} must be one value, got {}", i == 1 ? "scale" : "zero point",
                              dims_to_string(*dims));
  }
  const OpSchema* quantize = OpRegistry::global().find("QuantizeLinear", "");
  if (quantize == nullptr || !quantize->infer_fn) return internal_error("no schema for QuantizeLinear");
  KILN_RETURN_IF_ERROR(quantize->infer_fn(ctx));
  const auto [dtype, shape] = ctx.output(0);
  if (!shape.rank_known()) {
    ctx.set_output(0, dtype, Shape::unknown_dims(static_cast<int>(ctx.node().attr_ints("perm").size())));
    return Status::Ok();
  }
  KILN_ASSIGN_OR_RETURN(auto perm, transpose_perm(ctx.node(), shape.rank()));
  std::vector<Dim> out;
  for (int64_t p : perm) out.push_back(shape[static_cast<int>(p)]);
  ctx.set_output(0, dtype, Shape(std::move(out)));
  return Status::Ok();
}

// kiln.QGlobalAveragePool: DequantizeLinear's parameters (per tensor), GlobalAveragePool's
// output shape, the type `output_dtype` names.
Status infer_dequantize_global_pool(InferContext& ctx) {
  const DataType x = ctx.input_type(0);
  if (x != DataType::kInt8 && x != DataType::kUInt8 && x != DataType::kUndefined)
    return invalid_argument("X must be int8 or uint8, got {}", data_type_name(x));
  KILN_RETURN_IF_ERROR(check_scalar(ctx, 1, "input scale"));
  if (ctx.has_input(2)) {
    const DataType zp = ctx.input_type(2);
    if (zp != DataType::kUndefined && x != DataType::kUndefined && zp != x)
      return invalid_argument("the zero point must have X's type {}, got {}", data_type_name(x), data_type_name(zp));
    const auto dims = ctx.input_shape(2).static_dims();
    if (dims && checked_numel(*dims) != 1)
      return invalid_argument("the zero point must be one value, got {}", dims_to_string(*dims));
  }
  KILN_ASSIGN_OR_RETURN(DataType out, data_type_from_onnx_number(ctx.node().attr_int("output_dtype", 1)));
  if (!is_float_activation(out))
    return invalid_argument("'output_dtype' must be float32, float16 or bfloat16, got {}", data_type_name(out));
  const Shape& shape = ctx.input_shape(0);
  if (!shape.rank_known()) {
    ctx.set_output(0, out, Shape::unknown());
    return Status::Ok();
  }
  if (shape.rank() < 3) return invalid_argument("X must be [N, C, spatial...], got rank {}", shape.rank());
  std::vector<Dim> dims(shape.dims().begin(), shape.dims().end());
  for (size_t i = 2; i < dims.size(); ++i) dims[i] = Dim(1);
  ctx.set_output(0, out, Shape(std::move(dims)));
  return Status::Ok();
}

Status infer_pointwise(InferContext& ctx) {
  return infer_body(
      ctx, [](int, const Shape& s) { return s; }, [](const Shape& s) { return s; });
}

// [N, C, spatial...] <-> [N, spatial..., C]; shapes of unknown rank or rank < 3 pass unchanged
// (the body's op then reports them).
Shape permute_shape(const Shape& s, bool to_channels_last) {
  if (!s.rank_known() || s.rank() < 3) return s;
  std::vector<Dim> dims(s.dims().begin(), s.dims().end());
  if (to_channels_last)
    std::rotate(dims.begin() + 1, dims.begin() + 2, dims.end());
  else
    std::rotate(dims.begin() + 1, dims.end() - 1, dims.end());
  return Shape(std::move(dims));
}

Status infer_channels_last(InferContext& ctx) {
  const auto flags = ctx.node().attr_ints("nhwc_inputs");
  if (static_cast<int>(flags.size()) != ctx.num_inputs())
    return invalid_argument("'nhwc_inputs' has {} entries for {} inputs", flags.size(), ctx.num_inputs());
  const Attribute* body_attr = ctx.node().attr("body");
  // One op, a convolution then the MaxPool of its output (fuse_stem_max_pool), or a shortcut
  // kiln.QConv then the kiln.QConv taking its output as residual (fuse_shortcut_conv).
  if (body_attr == nullptr || !body_attr->g) return invalid_argument("attribute 'body' is missing");
  const auto& nodes = body_attr->g->nodes();
  const bool pooled = nodes.size() == 2 && nodes.back()->op_type() == "MaxPool";
  const bool shortcut = nodes.size() == 2 && is_shortcut_conv_pair(*nodes.front(), *nodes.back());
  if (nodes.size() != 1 && !pooled && !shortcut)
    return invalid_argument("the body must hold one node, a convolution and its MaxPool, or a kiln.QConv and the "
                            "kiln.QConv adding its output");
  return infer_body(
      ctx, [&](int i, const Shape& s) { return flags[static_cast<size_t>(i)] != 0 ? permute_shape(s, false) : s; },
      [](const Shape& s) { return permute_shape(s, true); });
}

}  // namespace

void register_fused_schemas(OpRegistry& r) {
  const std::string domain(kKilnDomain);
  r.add(conv_attrs(epilogue_attrs(OpSchema(std::string(kFusedConvOp), domain)))
            .inputs(2, 4)
            .outputs(1, INT_MAX)
            .infer([](InferContext& ctx) { return infer_on_base(ctx, "Conv", false); }));
  r.add(epilogue_attrs(OpSchema(std::string(kFusedMatMulOp), domain))
            .inputs(2, 4)
            .outputs(1, INT_MAX)
            .infer([](InferContext& ctx) { return infer_on_base(ctx, "MatMul", true); }));
  r.add(conv_attrs(activation_attrs(OpSchema(std::string(kQConvOp), domain)))
            .inputs(4, 8)
            .attr("output_dtype", Attribute::of_int(1))
            .infer([](InferContext& ctx) { return infer_quantized(ctx, "ConvInteger", 0); }));
  r.add(activation_attrs(OpSchema(std::string(kQMatMulOp), domain))
            .inputs(4, 8)
            .attr("output_dtype", Attribute::of_int(1))
            .infer([](InferContext& ctx) { return infer_quantized(ctx, "MatMulInteger", -1); }));
  r.add(OpSchema(std::string(kQuantizeTransposeOp), domain)
            .inputs(2, 3)
            .required_attr("perm", AttrType::kInts)
            .infer(infer_quantize_transpose));
  r.add(OpSchema(std::string(kQGlobalAveragePoolOp), domain)
            .inputs(2, 3)
            .attr("output_dtype", Attribute::of_int(1))
            .infer(infer_dequantize_global_pool));
  r.add(OpSchema(std::string(kPointwiseOp), domain)
            .inputs(1, INT_MAX)
            .outputs(1, INT_MAX)
            .required_attr("body", AttrType::kGraph)
            .infer(infer_pointwise));
  r.add(OpSchema(std::string(kChannelsLastOp), domain)
            .inputs(1, INT_MAX)
            .outputs(1, INT_MAX)
            .required_attr("body", AttrType::kGraph)
            .required_attr("nhwc_inputs", AttrType::kInts)
            .infer(infer_channels_last));
}

}  // namespace kiln
