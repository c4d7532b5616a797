#include "backends/cuda/cudnn/quantized_layer.h"

#include <algorithm>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cudnn/conv_problem.h"
#include "ir/ops/conv_geometry.h"
#include "ir/ops/fused_ops.h"

namespace kiln::cuda {

namespace {

bool is_float_type(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat16 || t == DataType::kBFloat16;
}

// The value of a float32 constant input holding `count` values.
Expected<std::vector<float>> constant_floats(const LayerSpec& spec, size_t slot, const char* what, int64_t count) {
  if (!spec.has_input(slot)) return invalid_argument("the {} (input {}) is missing", what, slot);
  const TensorDesc& t = *spec.inputs[slot];
  if (t.dtype != DataType::kFloat32) return unsupported("the {} must be float32, not {}", what, data_type_name(t.dtype));
  if (t.host_constant == nullptr) return unsupported("the {} must be a constant", what);
  if (t.numel() != count) return invalid_argument("the {} holds {} values, expected {}", what, t.numel(), count);
  const float* values = t.host_constant->data<float>();
  return std::vector<float>(values, values + count);
}

std::string_view dtype_slug(DataType t) {
  switch (t) {
    case DataType::kInt8: return "int8";
    case DataType::kFloat16: return "fp16";
    case DataType::kBFloat16: return "bf16";
    default: return "fp32";
  }
}

}  // namespace

bool is_quantized_conv(const Node& op) { return op.domain() == kKilnDomain && op.op_type() == kQConvOp; }
bool is_quantized_matmul(const Node& op) { return op.domain() == kKilnDomain && op.op_type() == kQMatMulOp; }

std::string QuantizedParams::slug() const {
  std::string s;
  if (has_bias) s += "_bias";
  if (has_residual) s += quantized_residual() ? "_add8" : "_add";
  if (activation.kind != ActivationKind::kNone) {
    s += '_';
    s += activation_slug(activation);
  }
  s += "_to_";
  s += dtype_slug(output_dtype);
  return s;
}

Expected<QuantizedParams> quantized_params(const LayerSpec& spec, int64_t channels, DataType operands) {
  if (spec.op == nullptr || spec.outputs.size() != 1) return unsupported("a quantized layer has one output");
  for (size_t slot : {kQInput, kQWeights})
    if (!spec.has_input(slot) || spec.inputs[slot]->dtype != operands)
      return unsupported("X and W must be {}", data_type_name(operands));
  QuantizedParams p;
  KILN_ASSIGN_OR_RETURN(auto x_scale, constant_floats(spec, kQInputScale, "input scale", 1));
  KILN_ASSIGN_OR_RETURN(auto w_scale, constant_floats(spec, kQWeightScale, "weight scales", channels));
  p.channel_scale.resize(static_cast<size_t>(channels));
  for (size_t k = 0; k < p.channel_scale.size(); ++k) p.channel_scale[k] = x_scale[0] * w_scale[k];

  p.has_bias = spec.has_input(kQBias);
  if (p.has_bias) {
    const TensorDesc& b = *spec.inputs[kQBias];
    if (b.dtype != DataType::kFloat32 || b.dims != std::vector<int64_t>{channels})
      return unsupported("the bias must be float32 [{}], got {} {}", channels, data_type_name(b.dtype),
                         dims_to_string(b.dims));
  }
  const TensorDesc& y = spec.outputs[0];
  p.has_residual = spec.has_input(kQResidual);
  if (p.has_residual) {
    const TensorDesc& z = *spec.inputs[kQResidual];
    if (z.dims != y.dims)
      return invalid_argument("the residual is {}, the output {}", dims_to_string(z.dims), dims_to_string(y.dims));
    p.residual_dtype = z.dtype;
    if (p.residual_dtype == DataType::kInt8) {
      KILN_ASSIGN_OR_RETURN(auto z_scale, constant_floats(spec, kQResidualScale, "residual scale", 1));
      p.residual_scale = z_scale[0];
    } else if (!is_float_type(p.residual_dtype)) {
      return unsupported("the residual must be int8 or a float type, not {}", data_type_name(p.residual_dtype));
    }
  }
  p.output_dtype = y.dtype;
  if (spec.has_input(kQOutputScale) != (y.dtype == DataType::kInt8))
    return invalid_argument("the output is {} but the output scale is {}", data_type_name(y.dtype),
                            spec.has_input(kQOutputScale) ? "present" : "absent");
  if (p.quantized_output()) {
    KILN_ASSIGN_OR_RETURN(auto y_scale, constant_floats(spec, kQOutputScale, "output scale", 1));
    p.output_scale = y_scale[0];
  } else if (!is_float_type(y.dtype)) {
    return unsupported("the output must be int8 or a float type, not {}", data_type_name(y.dtype));
  }
  KILN_ASSIGN_OR_RETURN(p.activation, activation_spec(activation_of_fused(*spec.op)));
  return p;
}

namespace {

// A channels-last 1x1 QConv with stride 1 and no padding: Y [N*H*W, K] = X [N*H*W, C] W^T, with
// the physical W [K, 1, 1, C] being B^T already.
Expected<QuantizedMatMul> pointwise_quantized_conv(const LayerSpec& spec, DataType operands) {
  if (!spec.channels_last) return unsupported("a GEMM runs channels-last kiln.QConv only");
  if (!spec.has_input(kQInput) || !spec.has_input(kQWeights) || spec.outputs.size() != 1)
    return invalid_argument("kiln.QConv needs X, W and one output");
  const std::vector<int64_t>& x = spec.inputs[kQInput]->dims;
  const std::vector<int64_t>& w = spec.inputs[kQWeights]->dims;
  if (x.size() != 4 || w.size() != 4) return unsupported("a GEMM runs 2-D convolutions only");
  if (w[1] != 1 || w[2] != 1 || spec.op->attr_int("group", 1) != 1 || w[3] != x[3])
    return unsupported("a GEMM runs ungrouped 1x1 convolutions, not W {} over X {} with group {}",
                       dims_to_string(w), dims_to_string(x), spec.op->attr_int("group", 1));
  KILN_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(*spec.op, {x[1], x[2]}, {1, 1}, false));
  for (size_t i = 0; i < 2; ++i)
    if (g.strides[i] != 1 || g.pads_begin[i] != 0 || g.pads_end[i] != 0)
      return unsupported("a GEMM runs 1x1 convolutions with stride 1 and no padding");
  if (spec.inputs[kQWeights]->host_constant == nullptr) return unsupported("W must be a constant");
  QuantizedMatMul q;
  q.m = x[0] * x[1] * x[2];
  q.k = x[3];
  q.n = w[0];
  q.b_transposed = true;
  if (spec.outputs[0].dims != std::vector<int64_t>{x[0], x[1], x[2], q.n})
    return invalid_argument("a 1x1 convolution of X {} by W {} cannot give {}", dims_to_string(x), dims_to_string(w),
                            dims_to_string(spec.outputs[0].dims));
  if (q.m == 0 || q.n == 0 || q.k == 0) return unsupported("empty tensors are not supported");
  KILN_ASSIGN_OR_RETURN(q.params, quantized_params(spec, q.n, operands));
  return q;
}

}  // namespace

Expected<QuantizedMatMul> quantized_matmul(const LayerSpec& spec, DataType operands) {
  if (spec.op != nullptr && is_quantized_conv(*spec.op)) return pointwise_quantized_conv(spec, operands);
  if (spec.op == nullptr || !is_quantized_matmul(*spec.op)) return unsupported("not a kiln.QMatMul or kiln.QConv layer");
  if (spec.channels_last) return unsupported("kiln.QMatMul does not run channels-last");
  if (!spec.has_input(kQInput) || !spec.has_input(kQWeights) || spec.outputs.size() != 1)
    return invalid_argument("kiln.QMatMul needs A, B and one output");
  const std::vector<int64_t>& a = spec.inputs[kQInput]->dims;
  const std::vector<int64_t>& b = spec.inputs[kQWeights]->dims;
  const std::vector<int64_t>& y = spec.outputs[0].dims;
  if (a.size() < 2 || b.size() != 2)
    return unsupported("kiln.QMatMul takes A of rank >= 2 and a 2-D B, got {} and {}", dims_to_string(a),
                       dims_to_string(b));
  if (spec.inputs[kQWeights]->host_constant == nullptr) return unsupported("B must be a constant");
  QuantizedMatMul q;
  q.k = a.back();
  q.n = b[1];
  q.m = spec.inputs[kQInput]->numel() / std::max<int64_t>(q.k, 1);
  std::vector<int64_t> expected_y(a.begin(), a.end() - 1);
  expected_y.push_back(q.n);
  if (b[0] != q.k || y != expected_y)
    return invalid_argument("kiln.QMatMul of {} by {} cannot give {}", dims_to_string(a), dims_to_string(b),
                            dims_to_string(y));
  if (q.m == 0 || q.n == 0 || q.k == 0) return unsupported("empty tensors are not supported");
  KILN_ASSIGN_OR_RETURN(q.params, quantized_params(spec, q.n, operands));
  return q;
}

bool folds_per_channel(const LayerSpec& spec, const QuantizedParams& p) {
  const bool activation_fits =
      p.activation.kind == ActivationKind::kNone || (p.activation.kind == ActivationKind::kRelu && !p.activation.gated);
  const bool bias_constant = !p.has_bias || spec.inputs[kQBias]->host_constant != nullptr;
  return p.quantized_output() && (!p.has_residual || p.quantized_residual()) && activation_fits && bias_constant;
}

Expected<FoldedEpilogue> folded_epilogue(const LayerSpec& spec, const QuantizedParams& p) {
  if (!folds_per_channel(spec, p))
    return invalid_argument("the layer's epilogue does not fold into per-channel scales ({})", p.slug());
  const size_t channels = p.channel_scale.size();
  FoldedEpilogue f;
  f.scale_shift.assign(2 * channels, 0.f);
  const float* bias = p.has_bias ? spec.inputs[kQBias]->host_constant->data<float>() : nullptr;
  for (size_t k = 0; k < channels; ++k) {
    f.scale_shift[k] = p.channel_scale[k] / p.output_scale;
    if (bias != nullptr) f.scale_shift[channels + k] = bias[k] / p.output_scale;
  }
  if (p.quantized_residual()) f.residual_ratio = p.residual_scale / p.output_scale;
  f.relu = p.activation.kind == ActivationKind::kRelu;
  return f;
}

Expected<QuantizedScales> QuantizedScales::upload(const QuantizedParams& params) {
  QuantizedScales s;
  s.channels_ = static_cast<int64_t>(params.channel_scale.size());
  std::vector<float> host = params.channel_scale;
  host.resize(3 * params.channel_scale.size(), params.residual_scale);
  std::fill(host.begin() + 2 * s.channels_, host.end(), params.output_scale);
  KILN_ASSIGN_OR_RETURN(s.buffer_, DeviceBuffer::allocate(host.size() * sizeof(float)));
  KILN_CUDA_CHECK(cudaMemcpy(s.buffer_.get(), host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice));
  return s;
}

QuantizedEpilogue QuantizedScales::epilogue(const QuantizedParams& params,
                                            const std::vector<const void*>& inputs) const {
  auto input = [&inputs](size_t i) { return i < inputs.size() ? inputs[i] : nullptr; };
  QuantizedEpilogue e;
  e.channels = channels_;
  e.channel_scale = channel_scale();
  e.bias = params.has_bias ? static_cast<const float*>(input(kQBias)) : nullptr;
  e.residual = params.has_residual ? input(kQResidual) : nullptr;
  e.residual_dtype = params.residual_dtype;
  e.residual_scale = params.residual_scale;
  e.activation = params.activation;
  e.output_dtype = params.output_dtype;
  e.output_scale = params.output_scale;
  return e;
}

}  // namespace kiln::cuda
