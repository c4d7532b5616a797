#include "passes/qdq_match.h"

#include <cmath>

#include "core/quantized_type.h"
#include "ir/ops/infer_utils.h"
#include "passes/rewrite_util.h"

namespace kiln {

namespace {

std::optional<double> constant_scalar(const Value* v) {
  if (v == nullptr || !v->is_constant() || v->constant().numel() != 1) return std::nullopt;
  auto values = tensor_to_doubles(v->constant());
  if (!values.ok()) return std::nullopt;
  return (*values)[0];
}

}  // namespace

std::optional<PerTensorQuant> per_tensor_quant(const Node* node, std::string_view op) {
  if (node == nullptr || !node->domain().empty() || node->op_type() != op || node->output(0) == nullptr) return std::nullopt;
  const Value* scale = node->input(1);
  const auto s = constant_scalar(scale);
  if (!s || scale->dtype() != DataType::kFloat32 || !(*s > 0) || !std::isfinite(*s)) return std::nullopt;
  PerTensorQuant q{node, static_cast<float>(*s)};
  const Value* zp = node->input(2);
  if (zp != nullptr) {
    const auto z = constant_scalar(zp);
    if (!z) return std::nullopt;
    q.zero_point = static_cast<int32_t>(*z);
  }
  const bool dequantize = op == "DequantizeLinear";
  const Value* int_side = dequantize ? node->input(0) : node->output(0);
  if (int_side == nullptr) return std::nullopt;
  q.quantized = int_side->dtype();
  if (q.quantized != DataType::kInt8 && q.quantized != DataType::kUInt8 && q.quantized != DataType::kFloat8E4M3)
    return std::nullopt;
  if (dequantize && node->output(0)->dtype() != DataType::kFloat32) return std::nullopt;
  return q;
}

std::optional<PerTensorQuant> dequantize_producer(const Value* v) {
  return v == nullptr ? std::nullopt : per_tensor_quant(v->producer(), "DequantizeLinear");
}

std::optional<PerTensorQuant> symmetric_dequantize_producer(const Value* v) {
  auto q = dequantize_producer(v);
  if (!q || !q->symmetric()) return std::nullopt;
  return q;
}

bool all_zero(const Tensor& t) {
  auto values = tensor_to_doubles(t);
  if (!values.ok()) return false;
  for (double x : *values)
    if (x != 0) return false;
  return true;
}

std::optional<Tensor> float_weights(const Value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_constant()) {
    if (v->dtype() != DataType::kFloat32) return std::nullopt;
    return v->constant();
  }
  const Node* dq = v->producer();
  if (dq == nullptr || !dq->domain().empty() || dq->op_type() != "DequantizeLinear" || v->dtype() != DataType::kFloat32)
    return std::nullopt;
  std::vector<const Tensor*> inputs;
  for (const Value* in : dq->inputs()) {
    if (in != nullptr && !in->is_constant()) return std::nullopt;
    inputs.push_back(in ? &in->constant() : nullptr);
  }
  auto w = compute_constant("DequantizeLinear", dq->opset(), dq->attrs(), inputs);
  if (!w.ok()) return std::nullopt;
  return *w;
}

Expected<ChannelQuantized> quantize_per_channel(const Tensor& w, int axis, DataType type) {
  if (w.dtype() != DataType::kFloat32 || axis < 0 || axis >= w.rank() || !is_symmetric_quantized_type(type))
    return internal_error("cannot quantize {} weights {} along axis {} to {}", data_type_name(w.dtype()),
                          dims_to_string(w.dims()), axis, data_type_name(type));
  const int64_t channels = w.dim(axis);
  int64_t inner = 1;
  for (int i = axis + 1; i < w.rank(); ++i) inner *= w.dim(i);
  std::vector<float> max_abs(static_cast<size_t>(channels), 0.f);
  const float* src = w.data<float>();
  for (int64_t i = 0; i < w.numel(); ++i) {
    float& m = max_abs[static_cast<size_t>((i / inner) % channels)];
    m = std::max(m, std::abs(src[i]));
  }
  ChannelQuantized out;
  out.scales = Tensor(DataType::kFloat32, {channels});
  for (int64_t k = 0; k < channels; ++k) {
    const float m = max_abs[static_cast<size_t>(k)];
    out.scales.data<float>()[k] = m > 0.f ? m / quantized_type_max(type) : 1.f;
  }
  const Tensor zero_points(type, {channels});
  KILN_ASSIGN_OR_RETURN(out.q, compute_constant("QuantizeLinear", 13, {{"axis", Attribute::of_int(axis)}},
                                                {&w, &out.scales, &zero_points}));
  return out;
}

int64_t onnx_float_type(DataType t) {
  switch (t) {
    case DataType::kFloat32: return 1;
    case DataType::kFloat16: return 10;
    case DataType::kBFloat16: return 16;
    default: return 0;
  }
}

}  // namespace kiln
