#include "backends/cuda/cudnn/conv_graph.h"

#include <array>
#include <optional>
#include <utility>

namespace kiln::cuda {

namespace {

// Virtual tensors are numbered after the real ones.
constexpr int64_t kFirstVirtualUid = 16;
// Every real tensor's address is at least this aligned (cudaMalloc and Kiln's arena give 256).
constexpr int64_t kTensorAlignment = 16;

cudnnDataType_t cudnn_data_type(DataType t) {
  switch (t) {
    case DataType::kFloat16: return CUDNN_DATA_HALF;
    case DataType::kBFloat16: return CUDNN_DATA_BFLOAT16;
    case DataType::kInt8: return CUDNN_DATA_INT8;
    case DataType::kInt32: return CUDNN_DATA_INT32;
    case DataType::kFloat8E4M3: return CUDNN_DATA_FP8_E4M3;
    default: return CUDNN_DATA_FLOAT;
  }
}

// The types of the layer's real tensors: all the layer's dtype, except QConv's (int8 or E4M3 X and
// W, float32 bias and scales, residual and output of their own types). An int8 convolution
// computes in INT32, an E4M3 one in FP32 (the only compute type of cuDNN's FP8 convolutions).
struct TensorTypes {
  cudnnDataType_t x, y, bias, residual, compute;
};

TensorTypes tensor_types(const ConvProblem& p) {
  const cudnnDataType_t io = cudnn_data_type(p.dtype);
  if (!p.quant) return {io, io, io, io, CUDNN_DATA_FLOAT};
  return {io, cudnn_data_type(p.quant->output_dtype), CUDNN_DATA_FLOAT, cudnn_data_type(p.quant->residual_dtype),
          p.dtype == DataType::kFloat8E4M3 ? CUDNN_DATA_FLOAT : CUDNN_DATA_INT32};
}

// An activation as one cuDNN pointwise op: its mode and the scalar attributes it takes (cuDNN
// reads these as doubles whatever the math precision).
struct PointwiseActivation {
  cudnnPointwiseMode_t mode;
  std::vector<std::pair<cudnnBackendAttributeName_t, double>> params;
};

std::optional<PointwiseActivation> pointwise_activation(const ActivationSpec& a) {
  using K = ActivationKind;
  if (a.gated) {
    // x * sigmoid(x) is swish with beta 1; cuDNN has no other gated activation.
    if (a.kind == K::kSigmoid) return PointwiseActivation{CUDNN_POINTWISE_SWISH_FWD, {{CUDNN_ATTR_POINTWISE_SWISH_BETA, 1.0}}};
    return std::nullopt;
  }
  switch (a.kind) {
    case K::kRelu: return PointwiseActivation{CUDNN_POINTWISE_RELU_FWD, {{CUDNN_ATTR_POINTWISE_RELU_LOWER_CLIP, 0.0}}};
    case K::kClip:
      // ReLU's upper clip caps it: Clip(0, max) is ReLU capped at max (ReLU6). Other lower
      // bounds go to Kiln's epilogue, whose semantics below the bound are ONNX's exactly.
      if (a.alpha != 0.f) return std::nullopt;
      return PointwiseActivation{CUDNN_POINTWISE_RELU_FWD,
                                 {{CUDNN_ATTR_POINTWISE_RELU_LOWER_CLIP, 0.0}, {CUDNN_ATTR_POINTWISE_RELU_UPPER_CLIP, a.beta}}};
    case K::kLeakyRelu:
      return PointwiseActivation{CUDNN_POINTWISE_RELU_FWD,
                                 {{CUDNN_ATTR_POINTWISE_RELU_LOWER_CLIP, 0.0},
                                  {CUDNN_ATTR_POINTWISE_RELU_LOWER_CLIP_SLOPE, a.alpha}}};
    case K::kElu: return PointwiseActivation{CUDNN_POINTWISE_ELU_FWD, {{CUDNN_ATTR_POINTWISE_ELU_ALPHA, a.alpha}}};
    case K::kSigmoid: return PointwiseActivation{CUDNN_POINTWISE_SIGMOID_FWD, {}};
    case K::kTanh: return PointwiseActivation{CUDNN_POINTWISE_TANH_FWD, {}};
    case K::kSoftplus:
      return PointwiseActivation{CUDNN_POINTWISE_SOFTPLUS_FWD, {{CUDNN_ATTR_POINTWISE_SOFTPLUS_BETA, 1.0}}};
    // GELU_FWD is the exact (erf) form; GELU_APPROX_TANH_FWD is the tanh approximation.
    case K::kGelu: return PointwiseActivation{CUDNN_POINTWISE_GELU_FWD, {}};
    default: return std::nullopt;  // HardSigmoid, HardSwish, Mish: no cuDNN mode
  }
}

// [n, c, h, w] with the strides of the layer's layout (channels-last or NCHW).
Expected<BackendDescriptor> make_tensor(int64_t uid, cudnnDataType_t type, const std::array<int64_t, 4>& nchw,
                                        bool channels_last, bool is_virtual) {
  const int64_t c = nchw[1], h = nchw[2], w = nchw[3];
  const std::array<int64_t, 4> strides =
      channels_last ? std::array<int64_t, 4>{h * w * c, 1, w * c, c} : std::array<int64_t, 4>{c * h * w, h * w, w, 1};
  KILN_ASSIGN_OR_RETURN(BackendDescriptor t, BackendDescriptor::create(CUDNN_BACKEND_TENSOR_DESCRIPTOR));
  KILN_RETURN_IF_ERROR(t.set(CUDNN_ATTR_TENSOR_DATA_TYPE, type));
  KILN_RETURN_IF_ERROR(t.set(CUDNN_ATTR_TENSOR_DIMENSIONS, std::span<const int64_t>(nchw)));
  KILN_RETURN_IF_ERROR(t.set(CUDNN_ATTR_TENSOR_STRIDES, std::span<const int64_t>(strides)));
  KILN_RETURN_IF_ERROR(t.set(CUDNN_ATTR_TENSOR_UNIQUE_ID, uid));
  KILN_RETURN_IF_ERROR(t.set(CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, kTensorAlignment));
  KILN_RETURN_IF_ERROR(t.set(CUDNN_ATTR_TENSOR_IS_VIRTUAL, is_virtual));
  KILN_RETURN_IF_ERROR(t.finalize());
  return t;
}

Expected<BackendDescriptor> make_convolution(const ConvProblem& p, cudnnDataType_t compute) {
  KILN_ASSIGN_OR_RETURN(BackendDescriptor c, BackendDescriptor::create(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR));
  KILN_RETURN_IF_ERROR(c.set(CUDNN_ATTR_CONVOLUTION_COMP_TYPE, compute));
  // ONNX Conv is a cross-correlation (the kernel is not flipped).
  KILN_RETURN_IF_ERROR(c.set(CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_CROSS_CORRELATION));
  KILN_RETURN_IF_ERROR(c.set(CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, int64_t{2}));
  KILN_RETURN_IF_ERROR(c.set(CUDNN_ATTR_CONVOLUTION_DILATIONS, std::span<const int64_t>(p.dilation)));
  KILN_RETURN_IF_ERROR(c.set(CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, std::span<const int64_t>(p.stride)));
  KILN_RETURN_IF_ERROR(c.set(CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, std::span<const int64_t>(p.pad_begin)));
  KILN_RETURN_IF_ERROR(c.set(CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, std::span<const int64_t>(p.pad_end)));
  KILN_RETURN_IF_ERROR(c.finalize());
  return c;
}

// The attribute names of cuDNN's forward and backward-data convolution operations.
struct ConvOpAttributes {
  cudnnBackendDescriptorType_t type;
  cudnnBackendAttributeName_t input, w, output, conv, alpha, beta;
};
constexpr ConvOpAttributes kForwardOp{CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR,
                                      CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X,
                                      CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W,
                                      CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y,
                                      CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC,
                                      CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA,
                                      CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA};
// ConvTranspose: the layer's X is dy and its Y is dx.
constexpr ConvOpAttributes kBackwardDataOp{CUDNN_BACKEND_OPERATION_CONVOLUTION_BACKWARD_DATA_DESCRIPTOR,
                                           CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_DY,
                                           CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_W,
                                           CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_DX,
                                           CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_CONV_DESC,
                                           CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_ALPHA,
                                           CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_BETA};

Expected<BackendDescriptor> make_conv_op(const ConvOpAttributes& a, cudnnBackendDescriptor_t x,
                                         cudnnBackendDescriptor_t w, cudnnBackendDescriptor_t y,
                                         cudnnBackendDescriptor_t conv) {
  KILN_ASSIGN_OR_RETURN(BackendDescriptor op, BackendDescriptor::create(a.type));
  KILN_RETURN_IF_ERROR(op.set(a.input, x));
  KILN_RETURN_IF_ERROR(op.set(a.w, w));
  KILN_RETURN_IF_ERROR(op.set(a.output, y));
  KILN_RETURN_IF_ERROR(op.set(a.conv, conv));
  KILN_RETURN_IF_ERROR(op.set(a.alpha, 1.f));
  KILN_RETURN_IF_ERROR(op.set(a.beta, 0.f));
  KILN_RETURN_IF_ERROR(op.finalize());
  return op;
}

Expected<BackendDescriptor> make_pointwise(const PointwiseActivation& a) {
  KILN_ASSIGN_OR_RETURN(BackendDescriptor pw, BackendDescriptor::create(CUDNN_BACKEND_POINTWISE_DESCRIPTOR));
  KILN_RETURN_IF_ERROR(pw.set(CUDNN_ATTR_POINTWISE_MODE, a.mode));
  KILN_RETURN_IF_ERROR(pw.set(CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_DATA_FLOAT));
  for (const auto& [name, value] : a.params) KILN_RETURN_IF_ERROR(pw.set(name, value));
  KILN_RETURN_IF_ERROR(pw.finalize());
  return pw;
}

// y = pw(x) or pw(x, b).
Expected<BackendDescriptor> make_pointwise_op(cudnnBackendDescriptor_t pw, cudnnBackendDescriptor_t x,
                                              cudnnBackendDescriptor_t b, cudnnBackendDescriptor_t y) {
  KILN_ASSIGN_OR_RETURN(BackendDescriptor op, BackendDescriptor::create(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR));
  KILN_RETURN_IF_ERROR(op.set(CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, pw));
  KILN_RETURN_IF_ERROR(op.set(CUDNN_ATTR_OPERATION_POINTWISE_XDESC, x));
  if (b != nullptr) KILN_RETURN_IF_ERROR(op.set(CUDNN_ATTR_OPERATION_POINTWISE_BDESC, b));
  KILN_RETURN_IF_ERROR(op.set(CUDNN_ATTR_OPERATION_POINTWISE_YDESC, y));
  KILN_RETURN_IF_ERROR(op.finalize());
  return op;
}

}  // namespace

Expected<ConvGraph> build_conv_graph(cudnnHandle_t handle, const ConvProblem& p, ConvGraphKind kind) {
  const bool fused = kind == ConvGraphKind::kFused;
  const bool quantized = p.quant.has_value();
  if (kind == ConvGraphKind::kConvOnlyFloatAccumulators && !quantized)
    return invalid_argument("float accumulators are for quantized convolutions");
  if (kind == ConvGraphKind::kConvOnly && quantized && p.dtype == DataType::kFloat8E4M3)
    return invalid_argument("an FP8 convolution's accumulators are FP32, not INT32");
  ConvGraph g;
  g.reads_bias = fused && p.has_bias;
  g.reads_residual = fused && p.has_residual;
  if (quantized && !fused)
    g.accumulators = kind == ConvGraphKind::kConvOnly ? DataType::kInt32 : DataType::kFloat32;
  std::optional<PointwiseActivation> activation;
  if (fused && p.activation.kind != ActivationKind::kNone) {
    activation = pointwise_activation(p.activation);
    if (!activation) return unsupported("cuDNN has no pointwise mode for activation {}", activation_slug(p.activation));
  }

  // The descriptors live in g.parts; the graph wires them by their (stable) raw handles.
  auto keep = [&g](Expected<BackendDescriptor> d) -> Expected<cudnnBackendDescriptor_t> {
    if (!d.ok()) return d.status();
    g.parts.push_back(std::move(d).value());
    return g.parts.back().get();
  };
  const TensorTypes types = tensor_types(p);
  const std::array<int64_t, 4> out_dims = {p.batch, p.out_channels, p.out_h, p.out_w};
  // [1, K, 1, 1]: broadcast over batch and space.
  const std::array<int64_t, 4> channel_dims = {1, p.out_channels, 1, 1};
  auto real = [&](int64_t uid, cudnnDataType_t type, const std::array<int64_t, 4>& dims) {
    return keep(make_tensor(uid, type, dims, p.channels_last, false));
  };
  int64_t next_virtual_uid = kFirstVirtualUid;
  auto virtual_output = [&](cudnnDataType_t type) {
    return keep(make_tensor(next_virtual_uid++, type, out_dims, p.channels_last, true));
  };
  std::vector<cudnnBackendDescriptor_t> ops;
  auto add_op = [&](Expected<BackendDescriptor> op) -> Status {
    KILN_ASSIGN_OR_RETURN(cudnnBackendDescriptor_t h, keep(std::move(op)));
    ops.push_back(h);
    return Status::Ok();
  };
  auto add_pointwise = [&](const PointwiseActivation& mode, cudnnBackendDescriptor_t x, cudnnBackendDescriptor_t b,
                           cudnnBackendDescriptor_t y) -> Status {
    KILN_ASSIGN_OR_RETURN(auto pw, keep(make_pointwise(mode)));
    return add_op(make_pointwise_op(pw, x, b, y));
  };

  // What follows the convolution, in order: each step is current = mode(current[, operand]).
  const PointwiseActivation add{CUDNN_POINTWISE_ADD, {}}, mul{CUDNN_POINTWISE_MUL, {}}, div{CUDNN_POINTWISE_DIV, {}};
  std::vector<std::pair<PointwiseActivation, cudnnBackendDescriptor_t>> steps;
  if (fused && quantized) {
    g.reads_scales = true;
    KILN_ASSIGN_OR_RETURN(auto scale, real(kUidChannelScale, CUDNN_DATA_FLOAT, channel_dims));
    steps.emplace_back(mul, scale);
  }
  if (g.reads_bias) {
    KILN_ASSIGN_OR_RETURN(auto bias, real(kUidBias, types.bias, channel_dims));
    steps.emplace_back(add, bias);
  }
  if (g.reads_residual) {
    KILN_ASSIGN_OR_RETURN(cudnnBackendDescriptor_t residual, real(kUidResidual, types.residual, out_dims));
    if (quantized && p.quant->quantized_residual()) {
      // The int8 residual dequantized on the side: Z * residual_scale.
      g.reads_residual_scale = true;
      KILN_ASSIGN_OR_RETURN(auto z_scale, real(kUidResidualScale, CUDNN_DATA_FLOAT, channel_dims));
      KILN_ASSIGN_OR_RETURN(auto dequantized, virtual_output(CUDNN_DATA_FLOAT));
      KILN_RETURN_IF_ERROR(add_pointwise(mul, residual, z_scale, dequantized));
      residual = dequantized;
    }
    steps.emplace_back(add, residual);
  }
  if (activation) steps.emplace_back(*activation, nullptr);
  if (fused && quantized && p.quant->quantized_output()) {
    // Y's conversion to int8 rounds and saturates the quotient.
    g.reads_output_scale = true;
    KILN_ASSIGN_OR_RETURN(auto y_scale, real(kUidOutputScale, CUDNN_DATA_FLOAT, channel_dims));
    steps.emplace_back(div, y_scale);
  }

  KILN_ASSIGN_OR_RETURN(auto x, real(kUidX, types.x, {p.batch, p.in_channels, p.in_h, p.in_w}));
  // Grouped: cuDNN infers the group count from the filter's channel dim. Conv's W is
  // [K, C/group, R, S]; ConvTranspose's is [C, M/group, R, S], the filter of the forward
  // convolution from its Y (M channels) to its X (C channels), which is cuDNN's view of it too.
  const std::array<int64_t, 4> w_dims =
      p.transposed ? std::array<int64_t, 4>{p.in_channels, p.out_channels / p.group, p.kernel_h, p.kernel_w}
                   : std::array<int64_t, 4>{p.out_channels, p.in_channels / p.group, p.kernel_h, p.kernel_w};
  KILN_ASSIGN_OR_RETURN(auto w, real(kUidW, types.x, w_dims));
  KILN_ASSIGN_OR_RETURN(auto conv, keep(make_convolution(p, types.compute)));
  // The convolution writes Y when nothing follows it (QConv: its accumulators), else a virtual
  // tensor of its compute type.
  Expected<cudnnBackendDescriptor_t> conv_out =
      !steps.empty()                             ? virtual_output(types.compute)
      : g.accumulators != DataType::kUndefined ? real(kUidAccumulators, cudnn_data_type(g.accumulators), out_dims)
                                                 : real(kUidY, types.y, out_dims);
  KILN_RETURN_IF_ERROR(conv_out.status());
  cudnnBackendDescriptor_t current = *conv_out;
  KILN_RETURN_IF_ERROR(add_op(make_conv_op(p.transposed ? kBackwardDataOp : kForwardOp, x, w, current, conv)));
  for (size_t i = 0; i < steps.size(); ++i) {
    // Each step writes Y when it is the last, else a new FP32 virtual tensor.
    KILN_ASSIGN_OR_RETURN(auto out, i + 1 == steps.size() ? real(kUidY, types.y, out_dims) : virtual_output(CUDNN_DATA_FLOAT));
    KILN_RETURN_IF_ERROR(add_pointwise(steps[i].first, current, steps[i].second, out));
    current = out;
  }

  KILN_ASSIGN_OR_RETURN(g.op_graph, BackendDescriptor::create(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR));
  KILN_RETURN_IF_ERROR(g.op_graph.set(CUDNN_ATTR_OPERATIONGRAPH_OPS, ops));
  KILN_RETURN_IF_ERROR(g.op_graph.set(CUDNN_ATTR_OPERATIONGRAPH_HANDLE, handle));
  KILN_RETURN_IF_ERROR(g.op_graph.finalize());
  return g;
}

}  // namespace kiln::cuda
