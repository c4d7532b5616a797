#include "backends/cuda/cudnn/conv_problem.h"

#include <cmath>
#include <string_view>
#include <vector>

#include "ir/ops/conv_geometry.h"

namespace kiln::cuda {

namespace {

struct ActivationName {
  std::string_view onnx;
  ActivationKind kind;
  std::string_view slug;
};

constexpr ActivationName kActivations[] = {
    {"", ActivationKind::kNone, ""},
    {"Relu", ActivationKind::kRelu, "relu"},
    {"Clip", ActivationKind::kClip, "clip"},
    {"LeakyRelu", ActivationKind::kLeakyRelu, "leakyrelu"},
    {"Elu", ActivationKind::kElu, "elu"},
    {"Sigmoid", ActivationKind::kSigmoid, "sigmoid"},
    {"Tanh", ActivationKind::kTanh, "tanh"},
    {"HardSigmoid", ActivationKind::kHardSigmoid, "hardsigmoid"},
    {"HardSwish", ActivationKind::kHardSwish, "hardswish"},
    {"Softplus", ActivationKind::kSoftplus, "softplus"},
    {"Mish", ActivationKind::kMish, "mish"},
    {"Gelu", ActivationKind::kGelu, "gelu"},
};

const ActivationName* find_activation(ActivationKind kind) {
  for (const ActivationName& a : kActivations)
    if (a.kind == kind) return &a;
  return nullptr;
}

bool is_conv_dtype(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat16 || t == DataType::kBFloat16;
}

}  // namespace

ConvGeometry32 conv_geometry32(const ConvProblem& p) {
  ConvGeometry32 g;
  g.batch = static_cast<int32_t>(p.batch);
  g.in_h = static_cast<int32_t>(p.in_h);
  g.in_w = static_cast<int32_t>(p.in_w);
  g.in_channels = static_cast<int32_t>(p.in_channels);
  g.in_pixel_stride = g.in_channels;
  g.out_h = static_cast<int32_t>(p.out_h);
  g.out_w = static_cast<int32_t>(p.out_w);
  g.out_channels = static_cast<int32_t>(p.out_channels);
  g.kernel_h = static_cast<int32_t>(p.kernel_h);
  g.kernel_w = static_cast<int32_t>(p.kernel_w);
  g.stride_h = static_cast<int32_t>(p.stride[0]);
  g.stride_w = static_cast<int32_t>(p.stride[1]);
  g.dilation_h = static_cast<int32_t>(p.dilation[0]);
  g.dilation_w = static_cast<int32_t>(p.dilation[1]);
  g.pad_h = static_cast<int32_t>(p.pad_begin[0]);
  g.pad_w = static_cast<int32_t>(p.pad_begin[1]);
  return g;
}

Expected<ActivationSpec> activation_spec(const Activation& act) {
  for (const ActivationName& a : kActivations) {
    if (a.onnx != act.op) continue;
    if (a.kind == ActivationKind::kNone && act.gated) return invalid_argument("a gated epilogue needs an activation");
    return ActivationSpec{a.kind, act.alpha, act.beta, act.gated};
  }
  return unsupported("activation {} is not supported by the cuDNN convolution epilogue", act.describe());
}

std::string activation_slug(const ActivationSpec& act) {
  const ActivationName* name = find_activation(act.kind);
  const std::string slug(name != nullptr ? name->slug : "unknown");
  if (!act.gated) return slug;
  // The gated forms exporters write for SiLU and HardSwish go by those names.
  if (act.kind == ActivationKind::kSigmoid) return "silu";
  if (act.kind == ActivationKind::kHardSigmoid && std::abs(act.alpha - 1.f / 6) < 1e-6f && act.beta == 0.5f)
    return "hardswish";
  return "gated_" + slug;
}

namespace {

// A tensor's dims in NCHW order ([K, C/g, R, S] for a weight), whatever its physical layout.
std::vector<int64_t> logical_dims(const TensorDesc& t, bool channels_last) {
  if (!channels_last) return t.dims;
  return {t.dims[0], t.dims[3], t.dims[1], t.dims[2]};
}

// The layout each input must have: X, W and Z follow the layer, the bias is always a [K] vector.
Status check_layouts(const LayerSpec& spec, const ConvProblem& p) {
  if (spec.channels_last) {
    if (!spec.is_nhwc_input(0) || !spec.is_nhwc_input(1))
      return unsupported("X and W must be channels-last ([N,H,W,C] and [K,R,S,C/group])");
    if (p.has_bias && spec.is_nhwc_input(static_cast<size_t>(p.bias_input)))
      return unsupported("the bias must be a plain [K] vector");
    if (p.has_residual && !spec.is_nhwc_input(static_cast<size_t>(p.residual_input)))
      return unsupported("the residual Z must be channels-last");
    return Status::Ok();
  }
  for (size_t i = 0; i < spec.inputs.size(); ++i)
    if (spec.is_nhwc_input(i)) return unsupported("an NCHW layer cannot take channels-last input {}", i);
  return Status::Ok();
}

// ConvTranspose runs as cuDNN's backward-data convolution of Y (dx) from X (dy): dx[o] gathers
// dy[i] w[k] over o + pad_begin = i * stride + k * dilation, exactly ONNX's scatter. cuDNN checks
// that the forward convolution of dx, padded pad_begin + pad_end, gives dy's size back: with
// output_padding below the stride the floor in that size absorbs it.
Status check_transposed_geometry(const ConvGeometry& g, DataType dtype) {
  for (size_t i = 0; i < 2; ++i) {
    if (g.pads_begin[i] < 0 || g.pads_end[i] < 0)
      return unsupported("ConvTranspose with negative pads (an output_shape beyond the full result) is not supported "
                         "by cuDNN's backward-data convolution");
    // Measured on an H200 with cuDNN 9.19: an FP16 backward-data engine returned wrong results
    // for unequal pre/post paddings (every FP32 engine was right), so 16-bit layers with them are
    // refused rather than risked.
    if (g.pads_begin[i] != g.pads_end[i] && dtype != DataType::kFloat32)
      return unsupported("a 16-bit ConvTranspose with unequal begin/end pads {} / {} is not run on cuDNN",
                         dims_to_string(g.pads_begin), dims_to_string(g.pads_end));
    if (g.output_padding[i] >= g.strides[i])
      return unsupported("ConvTranspose output_padding {} not below the stride {} is not supported by cuDNN's "
                         "backward-data convolution",
                         dims_to_string(g.output_padding), dims_to_string(g.strides));
  }
  return Status::Ok();
}

}  // namespace

Expected<ConvProblem> conv_problem(const LayerSpec& spec, DataType quantized_operands) {
  if (spec.op == nullptr) return invalid_argument("the layer has no op");
  const Node& op = *spec.op;
  const bool fused = op.domain() == kKilnDomain && op.op_type() == kFusedConvOp;
  const bool transposed = op.domain().empty() && op.op_type() == "ConvTranspose";
  const bool quantized = is_quantized_conv(op);
  if (!fused && !transposed && !quantized && !(op.domain().empty() && op.op_type() == "Conv"))
    return unsupported("the cuDNN convolution runs Conv, kiln.FusedConv, kiln.QConv and ConvTranspose, not {}{}{}",
                       op.domain(), op.domain().empty() ? "" : ".", op.op_type());
  if (transposed && spec.channels_last)
    return unsupported("the cuDNN ConvTranspose runs NCHW layers only, not channels-last ones");
  if (quantized && !spec.channels_last) return unsupported("kiln.QConv runs channels-last only (inside kiln.ChannelsLast)");
  if (!spec.has_input(0) || !spec.has_input(1) || spec.outputs.size() != 1)
    return unsupported("the cuDNN convolution needs inputs X and W and exactly one output");
  if (fused && !op.attr_ints("output_channels").empty())
    return unsupported("a FusedConv with several outputs (output_channels) must be split before it reaches cuDNN");
  const TensorDesc& x = *spec.inputs[0];
  const TensorDesc& w = *spec.inputs[1];
  const TensorDesc& y = spec.outputs[0];
  if (x.dims.size() != 4)
    return unsupported("only 2-D convolutions run on cuDNN here; X has rank {}", x.dims.size());
  if (w.dims.size() != 4 || y.dims.size() != 4)
    return invalid_argument("W {} and Y {} must be 4-D like X", dims_to_string(w.dims), dims_to_string(y.dims));

  ConvProblem p;
  p.dtype = x.dtype;
  p.channels_last = spec.channels_last;
  p.transposed = transposed;
  if (quantized && p.dtype != quantized_operands)
    return unsupported("data type {} is not supported (this kiln.QConv tactic takes {})", data_type_name(p.dtype),
                       data_type_name(quantized_operands));
  if (!quantized && !is_conv_dtype(p.dtype))
    return unsupported("data type {} is not supported (float32, float16 and bfloat16 are)", data_type_name(p.dtype));
  if (quantized) {
    p.bias_input = kQBias;
    p.residual_input = kQResidual;
  }
  p.has_bias = spec.has_input(static_cast<size_t>(p.bias_input));
  p.has_residual = (fused || quantized) && spec.has_input(static_cast<size_t>(p.residual_input));
  KILN_RETURN_IF_ERROR(check_layouts(spec, p));
  // QConv's other tensors have their own types (quantized_params checks them).
  std::vector<std::pair<const char*, const TensorDesc*>> others = {{"W", &w}};
  if (!quantized) {
    others.emplace_back("Y", &y);
    if (p.has_bias) others.emplace_back("B", &*spec.inputs[2]);
    if (p.has_residual) others.emplace_back("Z", &*spec.inputs[3]);
  }
  for (const auto& [name, t] : others)
    if (t->dtype != p.dtype)
      return unsupported("mixed data types are not supported: X is {}, {} is {}", data_type_name(p.dtype), name,
                         data_type_name(t->dtype));

  const std::vector<int64_t> xs = logical_dims(x, p.channels_last), ws = logical_dims(w, p.channels_last);
  p.batch = xs[0];
  p.in_channels = xs[1];
  p.in_h = xs[2];
  p.in_w = xs[3];
  p.kernel_h = ws[2];
  p.kernel_w = ws[3];
  p.group = op.attr_int("group", 1);
  // Conv: W is [K, C/g, R, S]. ConvTranspose: W is [C, M/g, R, S].
  p.out_channels = transposed ? ws[1] * p.group : ws[0];
  const bool group_fits = transposed ? ws[0] == p.in_channels : ws[1] * p.group == p.in_channels;
  if (p.group <= 0 || p.in_channels % p.group != 0 || p.out_channels % p.group != 0 || !group_fits)
    return invalid_argument("group {} does not fit X {} and W {}", p.group, dims_to_string(x.dims),
                            dims_to_string(w.dims));
  KILN_ASSIGN_OR_RETURN(ConvGeometry g,
                        conv_geometry(op, {p.in_h, p.in_w}, {p.kernel_h, p.kernel_w}, transposed));
  if (transposed) KILN_RETURN_IF_ERROR(check_transposed_geometry(g, x.dtype));
  for (size_t i = 0; i < 2; ++i) {
    p.stride[i] = g.strides[i];
    p.dilation[i] = g.dilations[i];
    p.pad_begin[i] = g.pads_begin[i];
    p.pad_end[i] = g.pads_end[i];
  }
  p.out_h = g.output[0];
  p.out_w = g.output[1];
  const std::vector<int64_t> y_dims = {p.batch, p.out_channels, p.out_h, p.out_w};
  if (logical_dims(y, p.channels_last) != y_dims)
    return invalid_argument("Y is {} but the convolution gives {} (NCHW)", dims_to_string(y.dims),
                            dims_to_string(y_dims));
  const std::vector<int64_t>& bias_dims = p.has_bias ? spec.inputs[static_cast<size_t>(p.bias_input)]->dims : y.dims;
  if (p.has_bias && bias_dims != std::vector<int64_t>{p.out_channels})
    return invalid_argument("the bias is {}, expected [{}]", dims_to_string(bias_dims), p.out_channels);
  const std::vector<int64_t>& z_dims = p.has_residual ? spec.inputs[static_cast<size_t>(p.residual_input)]->dims : y.dims;
  if (z_dims != y.dims)
    return invalid_argument("the residual is {}, expected {}", dims_to_string(z_dims), dims_to_string(y.dims));
  if (x.numel() == 0 || w.numel() == 0 || y.numel() == 0) return unsupported("empty tensors are not supported");
  if (quantized) {
    KILN_ASSIGN_OR_RETURN(p.quant, quantized_params(spec, p.out_channels, quantized_operands));
    p.activation = p.quant->activation;
  } else if (fused) {
    KILN_ASSIGN_OR_RETURN(p.activation, activation_spec(activation_of_fused(op)));
  }
  return p;
}

}  // namespace kiln::cuda
