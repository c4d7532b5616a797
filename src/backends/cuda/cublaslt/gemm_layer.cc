#include "backends/cuda/cublaslt/gemm_layer.h"

#include <climits>

#include "backends/cuda/cudnn/conv_problem.h"
#include "core/tensor.h"
#include "ir/ops/fused_ops.h"

namespace kiln::cuda {

namespace {

enum class GemmOp { kMatMul, kGemm, kFusedMatMul, kPointwiseConv };

Expected<GemmOp> gemm_op(const Node& op) {
  if (op.domain().empty() && op.op_type() == "MatMul") return GemmOp::kMatMul;
  if (op.domain().empty() && op.op_type() == "Gemm") return GemmOp::kGemm;
  if (op.domain() == kKilnDomain && op.op_type() == kFusedMatMulOp) return GemmOp::kFusedMatMul;
  if ((op.domain().empty() && op.op_type() == "Conv") || (op.domain() == kKilnDomain && op.op_type() == kFusedConvOp))
    return GemmOp::kPointwiseConv;
  return unsupported("cuBLASLt runs MatMul, Gemm, kiln.FusedMatMul and 1x1 convolutions, not {}", op.op_type());
}

// Every tensor has the output's dtype, one cuBLASLt multiplies, and holds elements.
Status check_tensors(const LayerSpec& spec) {
  const DataType dtype = spec.outputs[0].dtype;
  if (dtype != DataType::kFloat32 && dtype != DataType::kFloat16 && dtype != DataType::kBFloat16)
    return unsupported("cuBLASLt GEMMs take float32, float16 or bfloat16, not {}", data_type_name(dtype));
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    if (!spec.has_input(i)) continue;
    if (spec.inputs[i]->dtype != dtype)
      return unsupported("input {} is {} but the output is {}", i, data_type_name(spec.inputs[i]->dtype),
                         data_type_name(dtype));
    if (spec.inputs[i]->numel() == 0) return unsupported("input {} is empty", i);
  }
  if (spec.outputs[0].numel() == 0) return unsupported("the output is empty");
  return Status::Ok();
}

void append_name(std::string& name, const std::string& part) { name += (name.empty() ? "" : "_") + part; }

// FusedMatMul's activation: Relu in cuBLASLt's epilogue; the rest (GELU included, whose cuBLASLt
// epilogue is the tanh approximation, not the exact erf Kiln fuses) in Kiln's kernel.
Status set_activation(const Activation& act, GemmLayer& layer) {
  if (act.none()) return Status::Ok();
  auto spec = activation_spec(act);
  if (!spec.ok()) return unsupported("no epilogue kernel for activation {}", act.describe());
  layer.activation = *spec;
  layer.relu_epilogue = spec->kind == ActivationKind::kRelu && !spec->gated;
  layer.has_activation_kernel = !layer.relu_epilogue;
  append_name(layer.epilogue_name, activation_slug(*spec));
  return Status::Ok();
}

// MatMul and FusedMatMul: numpy matmul, then (fused) bias along the last axis, residual Z and activation.
Status describe_matmul(const LayerSpec& spec, bool fused, GemmLayer& layer) {
  if (!spec.has_input(0) || !spec.has_input(1)) return invalid_argument("MatMul needs inputs A and B");
  const std::vector<int64_t>& y_dims = spec.outputs[0].dims;
  KILN_ASSIGN_OR_RETURN(layer.shape, matmul_shape(spec.inputs[0]->dims, spec.inputs[1]->dims, y_dims));
  if (!fused) return Status::Ok();
  if (!spec.op->attr_ints("output_channels").empty())
    return unsupported("FusedMatMul with several outputs (output_channels) is split before it reaches cuBLASLt");
  if (spec.has_input(2)) {
    const std::vector<int64_t>& bias = spec.inputs[2]->dims;
    // cuBLASLt's bias runs along N; with a 1-D B the output's last axis is not N.
    if (spec.inputs[1]->dims.size() == 1) return unsupported("a bias on a matrix-vector product");
    bool along_last_axis = !bias.empty() && bias.size() <= y_dims.size() && bias.back() == layer.shape.n;
    for (size_t d = 0; along_last_axis && d + 1 < bias.size(); ++d) along_last_axis = bias[d] == 1;
    if (!along_last_axis)
      return unsupported("bias {} does not run along the last axis of {}", dims_to_string(bias), dims_to_string(y_dims));
    layer.bias_input = 2;
    append_name(layer.epilogue_name, "bias");
  }
  if (spec.has_input(3)) {
    if (spec.inputs[3]->dims != y_dims)
      return unsupported("residual {} is not shaped like the output {}", dims_to_string(spec.inputs[3]->dims),
                         dims_to_string(y_dims));
    layer.c_input = 3;
    layer.beta = 1.f;
    append_name(layer.epilogue_name, "residual");
  }
  return set_activation(activation_of_fused(*spec.op), layer);
}

// Gemm: alpha * op(A) op(B) + beta * C, C broadcasting to [M, N].
Status describe_gemm(const LayerSpec& spec, GemmLayer& layer) {
  if (!spec.has_input(0) || !spec.has_input(1)) return invalid_argument("Gemm needs inputs A and B");
  const Node& op = *spec.op;
  KILN_ASSIGN_OR_RETURN(layer.shape, gemm_shape(spec.inputs[0]->dims, op.attr_int("transA") != 0,
                                                spec.inputs[1]->dims, op.attr_int("transB") != 0,
                                                spec.outputs[0].dims));
  layer.alpha = op.attr_float("alpha", 1.f);
  const float beta = op.attr_float("beta", 1.f);
  // beta = 0 ignores C entirely (NaNs in it included), as the reference GEMM does.
  if (!spec.has_input(2) || beta == 0.f) return Status::Ok();
  const std::vector<int64_t>& c = spec.inputs[2]->dims;
  if (c.size() > 2) return invalid_argument("Gemm's C has rank {}", c.size());
  const int64_t rows = c.size() == 2 ? c[0] : 1, cols = c.empty() ? 1 : c.back();
  const int64_t m = layer.shape.m, n = layer.shape.n;
  if ((rows != 1 && rows != m) || (cols != 1 && cols != n))
    return invalid_argument("Gemm's C {} does not broadcast to [{}, {}]", dims_to_string(c), m, n);
  layer.beta = beta;
  append_name(layer.epilogue_name, "c");
  if (rows == m && cols == n) {
    layer.c_input = 2;
  } else if (rows == 1 && cols == n && beta == 1.f) {
    // The bias epilogue adds the row unscaled, which is beta * C only for beta = 1.
    layer.bias_input = 2;
    layer.beta = 0.f;
  } else {
    layer.fill_input = 2;
    layer.fill_rows = rows;
    layer.fill_cols = cols;
  }
  return Status::Ok();
}

// A channels-last 1x1 convolution with stride 1 and no padding is one GEMM: X [N*H*W, C] times
// W [K, C] transposed, with the conv's bias, residual and activation as the GEMM's epilogue.
// cuBLASLt's Hopper kernels often beat cuDNN's on these (ResNet's bottleneck 1x1s, MobileNet's
// pointwise layers); tuning times both.
Status describe_pointwise_conv(const LayerSpec& spec, GemmLayer& layer) {
  KILN_ASSIGN_OR_RETURN(ConvProblem conv, conv_problem(spec));
  if (!conv.channels_last || conv.transposed) return unsupported("cuBLASLt runs channels-last 1x1 convolutions only");
  if (conv.kernel_h != 1 || conv.kernel_w != 1 || conv.group != 1)
    return unsupported("cuBLASLt runs ungrouped 1x1 convolutions, not {}x{} with group {}", conv.kernel_h,
                       conv.kernel_w, conv.group);
  for (size_t i = 0; i < 2; ++i)
    if (conv.stride[i] != 1 || conv.pad_begin[i] != 0 || conv.pad_end[i] != 0)
      return unsupported("cuBLASLt runs 1x1 convolutions with stride 1 and no padding");
  layer.shape.m = conv.batch * conv.in_h * conv.in_w;
  layer.shape.k = conv.in_channels;
  layer.shape.n = conv.out_channels;
  layer.shape.trans_b = true;  // W is [K, 1, 1, C]: op(B) = W^T
  append_name(layer.epilogue_name, "conv1x1");
  if (conv.has_bias) {
    layer.bias_input = 2;
    append_name(layer.epilogue_name, "bias");
  }
  if (conv.has_residual) {
    layer.c_input = 3;
    layer.beta = 1.f;
    append_name(layer.epilogue_name, "residual");
  }
  if (spec.op->domain() == kKilnDomain) return set_activation(activation_of_fused(*spec.op), layer);
  return Status::Ok();
}

}  // namespace

Expected<GemmLayer> describe_gemm_layer(const LayerSpec& spec) {
  if (spec.op == nullptr) return invalid_argument("the layer has no op");
  KILN_ASSIGN_OR_RETURN(const GemmOp op, gemm_op(*spec.op));
  if (spec.channels_last && op != GemmOp::kPointwiseConv) return unsupported("cuBLASLt GEMMs do not run channels-last");
  if (!spec.channels_last && op == GemmOp::kPointwiseConv)
    return unsupported("cuBLASLt runs channels-last convolutions only");
  if (spec.outputs.size() != 1) return unsupported("cuBLASLt GEMMs have one output, this layer has {}", spec.outputs.size());
  KILN_RETURN_IF_ERROR(check_tensors(spec));
  GemmLayer layer;
  layer.dtype = spec.outputs[0].dtype;
  if (op == GemmOp::kGemm) KILN_RETURN_IF_ERROR(describe_gemm(spec, layer));
  else if (op == GemmOp::kPointwiseConv) KILN_RETURN_IF_ERROR(describe_pointwise_conv(spec, layer));
  else KILN_RETURN_IF_ERROR(describe_matmul(spec, op == GemmOp::kFusedMatMul, layer));
  if (layer.shape.batch > INT32_MAX) return unsupported("a batch of {} products is more than cuBLASLt counts", layer.shape.batch);
  return layer;
}

}  // namespace kiln::cuda
