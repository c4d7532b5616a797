// Schemas of the recurrent ops RNN, GRU and LSTM. They share inputs (X, W, R, B, sequence_lens,
// initial_h, and for LSTM initial_c and P) and differ in the number of gates stacked in W and R.
#include "ir/op_schema.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

bool is_float_type(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat64 || t == DataType::kFloat16 || t == DataType::kBFloat16;
}

// Checks input `i` has rank 3 and the expected dims where both are known.
Status check_dims(const InferContext& ctx, int i, const char* name, const std::vector<Dim>& expected) {
  if (!ctx.has_input(i) || !ctx.input_shape(i).rank_known()) return Status::Ok();
  const Shape& s = ctx.input_shape(i);
  if (s.rank() != static_cast<int>(expected.size()))
    return invalid_argument("input '{}' must have rank {}, got shape {}", name, expected.size(), s.to_string());
  for (int d = 0; d < s.rank(); ++d) {
    const Dim& want = expected[static_cast<size_t>(d)];
    if (s[d].is_static() && want.is_static() && s[d].value != want.value)
      return invalid_argument("input '{}' has shape {}, expected {}", name, s.to_string(), Shape(expected).to_string());
  }
  return Status::Ok();
}

// A dim of input `i` when its shape is known, else an unknown dim.
Dim dim_of(const InferContext& ctx, int i, int d) {
  if (!ctx.has_input(i) || !ctx.input_shape(i).rank_known() || ctx.input_shape(i).rank() <= d) return Dim();
  return ctx.input_shape(i)[d];
}

// Inputs: X, W, R, B, sequence_lens, initial_h, (LSTM) initial_c, P.
// Outputs: Y, Y_h, (LSTM) Y_c.
InferFn infer_recurrent(int gates) {
  return [gates](InferContext& ctx) -> Status {
    const DataType t = ctx.input_type(0);
    if (t != DataType::kUndefined && !is_float_type(t))
      return invalid_argument("input 'X' must be a floating type, got {}", data_type_name(t));
    const std::string direction = ctx.node().attr_string("direction");
    if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
      return invalid_argument("attribute 'direction' must be forward, reverse or bidirectional, got '{}'", direction);
    const int64_t num_dirs = direction == "bidirectional" ? 2 : 1;
    const int64_t layout = ctx.node().attr_int("layout");
    if (layout != 0 && layout != 1) return invalid_argument("attribute 'layout' must be 0 or 1, got {}", layout);
    if (ctx.node().has_attr("clip") && !(ctx.node().attr_float("clip") > 0.f))
      return invalid_argument("attribute 'clip' must be positive, got {}", ctx.node().attr_float("clip"));
    const Attribute* names = ctx.node().attr("activations");
    const std::vector<std::string> activations = names ? names->strings : std::vector<std::string>{};
    const size_t per_cell = gates == 1 ? 1 : gates == 3 ? 2 : 3;
    // One set of names for every direction, or one per direction (RNN's default lists two even
    // for a single direction).
    if (!activations.empty() && activations.size() != per_cell && activations.size() != 2 * per_cell)
      return invalid_argument("attribute 'activations' has {} name(s), expected {} or {} (one per direction)",
                              activations.size(), per_cell, 2 * per_cell);

    for (int i : {0, 1, 2})
      if (ctx.input_shape(i).rank_known() && ctx.input_shape(i).rank() != 3)
        return invalid_argument("input {} ('{}') must have rank 3, got shape {}", i, i == 0 ? "X" : i == 1 ? "W" : "R",
                                ctx.input_shape(i).to_string());
    Dim hidden = dim_of(ctx, 2, 2);
    if (ctx.node().has_attr("hidden_size")) {
      const int64_t h = ctx.node().attr_int("hidden_size");
      if (h <= 0) return invalid_argument("attribute 'hidden_size' must be positive, got {}", h);
      hidden = Dim(h);
    }
    const Dim seq = dim_of(ctx, 0, layout == 0 ? 0 : 1);
    const Dim batch = dim_of(ctx, 0, layout == 0 ? 1 : 0);
    const Dim input_size = dim_of(ctx, 0, 2);
    const Dim gate_rows = hidden.is_static() ? Dim(gates * hidden.value) : Dim();
    const Dim bias_cols = hidden.is_static() ? Dim(2 * gates * hidden.value) : Dim();
    const Dim peephole_cols = hidden.is_static() ? Dim(3 * hidden.value) : Dim();
    KILN_RETURN_IF_ERROR(check_dims(ctx, 1, "W", {num_dirs, gate_rows, input_size}));
    KILN_RETURN_IF_ERROR(check_dims(ctx, 2, "R", {num_dirs, gate_rows, hidden}));
    KILN_RETURN_IF_ERROR(check_dims(ctx, 3, "B", {num_dirs, bias_cols}));
    KILN_RETURN_IF_ERROR(check_dims(ctx, 4, "sequence_lens", {batch}));
    const std::vector<Dim> state = layout == 0 ? std::vector<Dim>{num_dirs, batch, hidden}
                                               : std::vector<Dim>{batch, num_dirs, hidden};
    KILN_RETURN_IF_ERROR(check_dims(ctx, 5, "initial_h", state));
    if (gates == 4) {
      KILN_RETURN_IF_ERROR(check_dims(ctx, 6, "initial_c", state));
      KILN_RETURN_IF_ERROR(check_dims(ctx, 7, "P", {num_dirs, peephole_cols}));
    }
    if (ctx.has_input(4) && ctx.input_type(4) != DataType::kInt32 && ctx.input_type(4) != DataType::kUndefined)
      return invalid_argument("input 'sequence_lens' must be int32, got {}", data_type_name(ctx.input_type(4)));

    ctx.set_output(0, t, layout == 0 ? Shape({seq, num_dirs, batch, hidden}) : Shape({batch, seq, num_dirs, hidden}));
    for (int i = 1; i < ctx.num_outputs(); ++i) ctx.set_output(i, t, Shape(state));
    return Status::Ok();
  };
}

OpSchema recurrent_schema(const char* op, int gates) {
  OpSchema s(op);
  s.inputs(3, gates == 4 ? 8 : 6).outputs(0, gates == 4 ? 3 : 2)
      .attr("activation_alpha", AttrType::kFloats)
      .attr("activation_beta", AttrType::kFloats)
      .attr("clip", AttrType::kFloat)
      .attr("direction", Attribute::of_string("forward"))
      .attr("hidden_size", AttrType::kInt)
      .attr("layout", Attribute::of_int(0))
      .infer(infer_recurrent(gates));
  return s;
}

}  // namespace

void register_rnn_schemas(OpRegistry& r) {
  r.add(recurrent_schema("RNN", 1).attr("activations", Attribute::of_strings({"Tanh", "Tanh"})));
  r.add(recurrent_schema("GRU", 3).attr("activations", AttrType::kStrings).attr("linear_before_reset", Attribute::of_int(0)));
  r.add(recurrent_schema("LSTM", 4).attr("activations", AttrType::kStrings).attr("input_forget", Attribute::of_int(0)));
}

}  // namespace kiln
