// Schemas of the control-flow ops If, Loop and Scan. Their outputs come from running a body
// graph, so inference gives each output the type the body declares and, where the body may
// produce any shape, an unknown shape: the kernel sets the outputs it computes.

#include <algorithm>
#include <climits>

#include "ir/op_schema.h"
#include "ir/ops/body_types.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

constexpr int kVariadic = INT_MAX;

Expected<const Graph*> body_attr(const InferContext& ctx, const std::string& name) {
  const Attribute* a = ctx.node().attr(name);
  if (a == nullptr || a->type != AttrType::kGraph || !a->g)
    return invalid_argument("attribute '{}' must be a graph", name);
  return a->g.get();
}

// `s` with an unknown-sized axis inserted at `axis` (negative counts from the end of the result).
Shape with_new_axis(const Shape& s, int64_t axis) {
  if (!s.rank_known()) return Shape::unknown();
  auto a = normalize_axis(axis, s.rank() + 1);
  if (!a.ok()) return Shape::unknown();  // the kernel reports the bad axis
  std::vector<Dim> dims = s.dims();
  dims.insert(dims.begin() + *a, Dim());
  return Shape(std::move(dims));
}

Status require_type(DataType t, const Graph& body, size_t i, const char* attr) {
  if (t == DataType::kUndefined)
    return invalid_argument("the type of output '{}' of '{}' is neither declared nor inferable", body.outputs()[i]->name(), attr);
  return Status::Ok();
}

Status infer_if(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(const Graph* then_body, body_attr(ctx, "then_branch"));
  KILN_ASSIGN_OR_RETURN(const Graph* else_body, body_attr(ctx, "else_branch"));
  const size_t n = static_cast<size_t>(ctx.num_outputs());
  if (then_body->outputs().size() != n || else_body->outputs().size() != n)
    return invalid_argument("then_branch has {} output(s) and else_branch {}, but the node has {}",
                            then_body->outputs().size(), else_body->outputs().size(), n);
  if (!then_body->inputs().empty() || !else_body->inputs().empty())
    return invalid_argument("If branches take no inputs");
  if (ctx.input_type(0) != DataType::kBool && ctx.input_type(0) != DataType::kUndefined)
    return invalid_argument("input 'cond' must be bool, got {}", data_type_name(ctx.input_type(0)));
  const auto then_types = body_output_types(*then_body, {});
  const auto else_types = body_output_types(*else_body, {});
  const Tensor* cond = ctx.input_value(0);
  for (size_t i = 0; i < n; ++i) {
    const DataType t = then_types[i].first != DataType::kUndefined ? then_types[i].first : else_types[i].first;
    KILN_RETURN_IF_ERROR(require_type(t, *then_body, i, "then_branch"));
    // The taken branch's shape when the condition is known, else the shape both branches agree on.
    Shape shape = then_types[i].second == else_types[i].second ? then_types[i].second : Shape::unknown();
    if (cond != nullptr && cond->dtype() == DataType::kBool && cond->numel() == 1)
      shape = *cond->data<bool>() ? then_types[i].second : else_types[i].second;
    ctx.set_output(static_cast<int>(i), t, shape);
  }
  return Status::Ok();
}

// Loop inputs: M, cond, then N loop-carried values. Body: (iteration, cond, N values) ->
// (cond, N values, K scan outputs). Node outputs: N final values, then K stacked scan outputs.
Status infer_loop(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(const Graph* body, body_attr(ctx, "body"));
  const int carried = ctx.num_inputs() - 2;
  const int scanned = ctx.num_outputs() - carried;
  if (carried < 0) return invalid_argument("Loop needs inputs 'M' and 'cond' (either may be empty)");
  if (scanned < 0)
    return invalid_argument("Loop has {} loop-carried input(s) but only {} output(s)", carried, ctx.num_outputs());
  if (static_cast<int>(body->inputs().size()) != 2 + carried)
    return invalid_argument("the body takes {} input(s), expected 2 + {} loop-carried", body->inputs().size(), carried);
  if (static_cast<int>(body->outputs().size()) != 1 + carried + scanned)
    return invalid_argument("the body returns {} output(s), expected 1 + {} loop-carried + {} scan",
                            body->outputs().size(), carried, scanned);
  if (ctx.has_input(0) && ctx.input_shape(0).rank_known() && ctx.input_shape(0).rank() > 1)
    return invalid_argument("input 'M' must be a scalar, got shape {}", ctx.input_shape(0).to_string());
  std::vector<DataType> input_types{DataType::kInt64, DataType::kBool};
  for (int i = 0; i < carried; ++i) input_types.push_back(ctx.input_type(2 + i));
  const auto types = body_output_types(*body, input_types);
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    const auto& [body_type, body_shape] = types[static_cast<size_t>(1 + i)];
    // A loop-carried value keeps its type across iterations.
    const DataType t = i < carried && ctx.input_type(2 + i) != DataType::kUndefined ? ctx.input_type(2 + i) : body_type;
    KILN_RETURN_IF_ERROR(require_type(t, *body, static_cast<size_t>(1 + i), "body"));
    // Loop-carried shapes may change per iteration; scan outputs gain a leading iteration axis.
    ctx.set_output(i, t, i < carried ? Shape::unknown() : with_new_axis(body_shape, 0));
  }
  return Status::Ok();
}

// Scan (opset 9+) inputs: N states, then num_scan_inputs sequences. Opset 8 puts an optional
// sequence_lens first. Body: (N states, one slice per sequence) -> (N states, K scan outputs).
Status infer_scan(InferContext& ctx) {
  KILN_ASSIGN_OR_RETURN(const Graph* body, body_attr(ctx, "body"));
  const int64_t scan_inputs = ctx.node().attr_int("num_scan_inputs");
  const int first = ctx.opset() < 9 ? 1 : 0;
  const int states = ctx.num_inputs() - first - static_cast<int>(scan_inputs);
  if (scan_inputs < 1 || states < 0)
    return invalid_argument("num_scan_inputs {} does not fit the {} input(s)", scan_inputs, ctx.num_inputs() - first);
  const int scanned = ctx.num_outputs() - states;
  if (scanned < 0)
    return invalid_argument("Scan has {} state input(s) but only {} output(s)", states, ctx.num_outputs());
  if (static_cast<int>(body->inputs().size()) != states + scan_inputs)
    return invalid_argument("the body takes {} input(s), expected {} state + {} scan", body->inputs().size(), states,
                            scan_inputs);
  if (static_cast<int>(body->outputs().size()) != ctx.num_outputs())
    return invalid_argument("the body returns {} output(s), the node has {}", body->outputs().size(), ctx.num_outputs());
  const auto check_count = [&](const char* name, int64_t expected) -> Status {
    const Attribute* a = ctx.node().attr(name);
    if (a != nullptr && static_cast<int64_t>(a->ints.size()) != expected)
      return invalid_argument("attribute '{}' has {} value(s), expected {}", name, a->ints.size(), expected);
    return Status::Ok();
  };
  KILN_RETURN_IF_ERROR(check_count(ctx.opset() < 9 ? "directions" : "scan_input_directions", scan_inputs));
  KILN_RETURN_IF_ERROR(check_count("scan_input_axes", scan_inputs));
  KILN_RETURN_IF_ERROR(check_count("scan_output_directions", scanned));
  KILN_RETURN_IF_ERROR(check_count("scan_output_axes", scanned));
  // Body inputs of opset 8 drop the batch axis and of every opset the scan axis; only types are
  // passed on.
  std::vector<DataType> input_types;
  for (int i = first; i < ctx.num_inputs(); ++i) input_types.push_back(ctx.input_type(i));
  const auto types = body_output_types(*body, input_types);
  const std::vector<int64_t> out_axes = ctx.node().attr_ints("scan_output_axes");
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    const auto& [body_type, body_shape] = types[static_cast<size_t>(i)];
    // A state keeps its type and shape across steps (the kernel checks).
    const DataType t = i < states && ctx.input_type(first + i) != DataType::kUndefined ? ctx.input_type(first + i) : body_type;
    KILN_RETURN_IF_ERROR(require_type(t, *body, static_cast<size_t>(i), "body"));
    Shape shape = ctx.input_shape(first + std::min(i, states));
    if (i >= states) {
      // Opset 8 stacks steps on axis 1 under the batch axis; later opsets on scan_output_axes.
      const int64_t axis = ctx.opset() < 9 ? 0 : out_axes.empty() ? 0 : out_axes[static_cast<size_t>(i - states)];
      shape = with_new_axis(body_shape, axis);
      if (ctx.opset() < 9) shape = with_new_axis(shape, 0);
    }
    ctx.set_output(i, t, shape);
  }
  return Status::Ok();
}

}  // namespace

void register_control_schemas(OpRegistry& r) {
  r.add(OpSchema("If").inputs(1).outputs(1, kVariadic)
            .required_attr("then_branch", AttrType::kGraph)
            .required_attr("else_branch", AttrType::kGraph)
            .infer(infer_if));
  // M and cond are optional but hold their places, so no input is required by position.
  r.add(OpSchema("Loop").inputs(0, kVariadic).outputs(1, kVariadic)
            .required_attr("body", AttrType::kGraph)
            .infer(infer_loop));
  r.add(OpSchema("Scan").inputs(0, kVariadic).outputs(1, kVariadic)
            .required_attr("body", AttrType::kGraph)
            .required_attr("num_scan_inputs", AttrType::kInt)
            .attr("directions", AttrType::kInts)
            .attr("scan_input_directions", AttrType::kInts)
            .attr("scan_output_directions", AttrType::kInts)
            .attr("scan_input_axes", AttrType::kInts)
            .attr("scan_output_axes", AttrType::kInts)
            .infer(infer_scan));
}

}  // namespace kiln
