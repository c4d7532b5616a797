// Schemas of the signal-processing ops: HannWindow, HammingWindow, BlackmanWindow, DFT, STFT and
// MelWeightMatrix (opset 17). Window and filter-bank sizes come from input values, so their
// shapes are exact only when those values are known.
#include <optional>

#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

// The numeric types `output_datatype` may name (ONNX TensorProto numbers; bool is not numeric).
Expected<DataType> output_datatype(const InferContext& ctx) {
  const int64_t t = ctx.node().attr_int("output_datatype");
  auto dtype = data_type_from_onnx_number(t);
  if (!dtype.ok() || *dtype == DataType::kBool)
    return invalid_argument("attribute 'output_datatype' {} is not a numeric ONNX type", t);
  return dtype;
}

// The single integer value of input i when known.
Expected<std::optional<int64_t>> scalar_int(const InferContext& ctx, int i, const char* name) {
  const Tensor* v = ctx.input_value(i);
  if (v == nullptr) return std::optional<int64_t>();
  auto values = tensor_to_int64s(*v);
  if (!values.ok()) return with_context(values.status(), std::string("input '") + name + "'");
  if (values->size() != 1) return invalid_argument("input '{}' must hold one value, got {}", name, values->size());
  return std::optional<int64_t>((*values)[0]);
}

Dim known_or_unknown(const std::optional<int64_t>& v) { return v ? Dim(*v) : Dim(); }

Status infer_window(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(DataType t, output_datatype(ctx));
  KILN_ASSIGN_OR_RETURN(auto size, scalar_int(ctx, 0, "size"));
  if (size && *size < 0) return invalid_argument("input 'size' must not be negative, got {}", *size);
  ctx.set_output(0, t, Shape({known_or_unknown(size)}));
  return Status::Ok();
}

// The DFT's output length along its axis: dft_length (or the input length), halved plus one
// when onesided.
Dim dft_output_length(const Dim& length, bool onesided) {
  if (!length.is_static()) return Dim();
  return onesided ? Dim(length.value / 2 + 1) : length;
}

// input [batch, n1, ..., nk, 1 or 2] -> same with the DFT axis resized and a last dim of 2.
Status infer_dft(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const bool onesided = ctx.node().attr_int("onesided") != 0;
  KILN_ASSIGN_OR_RETURN(auto dft_length, scalar_int(ctx, 1, "dft_length"));
  if (dft_length && *dft_length < 1) return invalid_argument("input 'dft_length' must be positive, got {}", *dft_length);
  if (!in.rank_known()) {
    ctx.set_output(0, ctx.input_type(0), Shape::unknown());
    return Status::Ok();
  }
  if (in.rank() < 3) return invalid_argument("input must have rank 3 or more ([batch, signal..., 1 or 2]), got {}", in.to_string());
  if (in[in.rank() - 1].is_static() && in[in.rank() - 1].value != 1 && in[in.rank() - 1].value != 2)
    return invalid_argument("the last dim of the input must be 1 (real) or 2 (complex), got {}", in.to_string());
  // The axis indexes the signal dims: not the batch (0) nor the real/imaginary pair (last).
  const int64_t axis_attr = ctx.node().attr_int("axis");
  const int64_t axis = axis_attr < 0 ? axis_attr + in.rank() : axis_attr;
  if (axis < 1 || axis > in.rank() - 2)
    return invalid_argument("attribute 'axis' {} must index a signal dim of input {}", axis_attr, in.to_string());
  std::vector<Dim> dims = in.dims();
  dims[static_cast<size_t>(axis)] = dft_output_length(dft_length ? Dim(*dft_length) : in[static_cast<int>(axis)], onesided);
  dims.back() = Dim(2);
  ctx.set_output(0, ctx.input_type(0), Shape(std::move(dims)));
  return Status::Ok();
}

// signal [batch, length, 1 or 2], frame_step, window [frame_length], frame_length ->
// [batch, frames, bins, 2].
Status infer_stft(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  if (in.rank_known() && (in.rank() != 3 || (in[2].is_static() && in[2].value != 1 && in[2].value != 2)))
    return invalid_argument("input 'signal' must be [batch, length, 1 or 2], got {}", in.to_string());
  KILN_ASSIGN_OR_RETURN(auto step, scalar_int(ctx, 1, "frame_step"));
  KILN_ASSIGN_OR_RETURN(auto frame_length, scalar_int(ctx, 3, "frame_length"));
  if (step && *step < 1) return invalid_argument("input 'frame_step' must be positive, got {}", *step);
  if (frame_length && *frame_length < 1) return invalid_argument("input 'frame_length' must be positive, got {}", *frame_length);
  if (!ctx.has_input(2) && !ctx.has_input(3)) return invalid_argument("STFT needs a window or a frame_length");
  Dim length = frame_length ? Dim(*frame_length) : Dim();
  if (ctx.has_input(2) && ctx.input_shape(2).rank_known()) {
    const Shape& w = ctx.input_shape(2);
    if (w.rank() != 1) return invalid_argument("input 'window' must have rank 1, got {}", w.to_string());
    if (frame_length && w[0].is_static() && w[0].value != *frame_length)
      return invalid_argument("window has {} values but frame_length is {}", w[0].value, *frame_length);
    if (!frame_length) length = w[0];
  }
  Dim batch, frames;
  if (in.rank_known()) {
    batch = in[0];
    if (in[1].is_static() && length.is_static() && step) {
      if (length.value > in[1].value)
        return invalid_argument("frame length {} is longer than the signal ({})", length.value, in[1].value);
      frames = Dim((in[1].value - length.value) / *step + 1);
    }
  }
  ctx.set_output(0, ctx.input_type(0), Shape({batch, frames, dft_output_length(length, ctx.node().attr_int("onesided") != 0), Dim(2)}));
  return Status::Ok();
}

// num_mel_bins, dft_length, sample_rate, lower_edge_hertz, upper_edge_hertz ->
// [dft_length / 2 + 1, num_mel_bins].
Status infer_mel_weight_matrix(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(DataType t, output_datatype(ctx));
  KILN_ASSIGN_OR_RETURN(auto mel_bins, scalar_int(ctx, 0, "num_mel_bins"));
  KILN_ASSIGN_OR_RETURN(auto dft_length, scalar_int(ctx, 1, "dft_length"));
  KILN_ASSIGN_OR_RETURN(auto sample_rate, scalar_int(ctx, 2, "sample_rate"));
  if (mel_bins && *mel_bins < 1) return invalid_argument("input 'num_mel_bins' must be positive, got {}", *mel_bins);
  if (dft_length && *dft_length < 1) return invalid_argument("input 'dft_length' must be positive, got {}", *dft_length);
  if (sample_rate && *sample_rate < 1) return invalid_argument("input 'sample_rate' must be positive, got {}", *sample_rate);
  ctx.set_output(0, t, Shape({dft_length ? Dim(*dft_length / 2 + 1) : Dim(), known_or_unknown(mel_bins)}));
  return Status::Ok();
}

OpSchema window_schema(const char* op) {
  return std::move(OpSchema(op).inputs(1).outputs(1)
                       .attr("output_datatype", Attribute::of_int(1))
                       .attr("periodic", Attribute::of_int(1))
                       .infer(infer_window));
}

}  // namespace

void register_signal_schemas(OpRegistry& r) {
  r.add(window_schema("HannWindow"));
  r.add(window_schema("HammingWindow"));
  r.add(window_schema("BlackmanWindow"));
  r.add(OpSchema("DFT").inputs(1, 2).outputs(1)
            .attr("axis", Attribute::of_int(1))
            .attr("inverse", Attribute::of_int(0))
            .attr("onesided", Attribute::of_int(0))
            .infer(infer_dft));
  r.add(OpSchema("STFT").inputs(2, 4).outputs(1).attr("onesided", Attribute::of_int(1)).infer(infer_stft));
  r.add(OpSchema("MelWeightMatrix").inputs(5).outputs(1).attr("output_datatype", Attribute::of_int(1))
            .infer(infer_mel_weight_matrix));
}

}  // namespace kiln
