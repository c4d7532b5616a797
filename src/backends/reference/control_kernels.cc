// Reference kernels of the control-flow ops If, Loop and Scan: they run body graphs through the
// executor's SubgraphRunner and assemble the results.
#include <algorithm>
#include <climits>

#include "backends/reference/axis_slices.h"
#include "backends/reference/kernel.h"
#include "ir/ops/body_types.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

Expected<const SubgraphRunner*> runner_of(const KernelContext& ctx) {
  if (ctx.subgraphs() == nullptr) return internal_error("no subgraph runner was given to a control-flow node");
  return ctx.subgraphs();
}

const Graph& graph_attr(const KernelContext& ctx, const char* name) { return *ctx.node().attr(name)->g; }

Expected<bool> scalar_bool(const Tensor& t, const char* what) {
  if (t.dtype() != DataType::kBool || t.numel() != 1)
    return invalid_argument("{} must be a single bool, got {} {}", what, data_type_name(t.dtype()), dims_to_string(t.dims()));
  return *t.data<bool>();
}

Tensor scalar_tensor_i64(int64_t v) {
  Tensor t(DataType::kInt64, {});
  *t.data<int64_t>() = v;
  return t;
}

Tensor scalar_tensor_bool(bool v) {
  Tensor t(DataType::kBool, {});
  *t.data<bool>() = v;
  return t;
}

// Type and shape of one step of a stacked output: that of its parts, or with no parts (zero
// iterations) what inference finds for body output `index` (a scalar when its shape is unknown).
struct StepSpec {
  DataType dtype;
  std::vector<int64_t> dims;
};

StepSpec step_spec(const std::vector<Tensor>& parts, const Graph& body, size_t index,
                   const std::vector<DataType>& body_input_types) {
  if (!parts.empty()) return {parts[0].dtype(), parts[0].dims()};
  const auto [dtype, shape] = body_output_types(body, body_input_types)[index];
  return {dtype, shape.static_dims().value_or(std::vector<int64_t>{})};
}

// The types of inputs first_input.. after `leading`: what a body receives.
std::vector<DataType> types_of(const KernelContext& ctx, int first_input, std::vector<DataType> leading = {}) {
  for (int i = first_input; i < ctx.num_inputs(); ++i) leading.push_back(ctx.input(i).dtype());
  return leading;
}

Expected<Tensor> stack_steps(std::vector<Tensor> steps, bool reversed, int axis, const StepSpec& spec,
                             const Value& body_output) {
  if (reversed) std::reverse(steps.begin(), steps.end());
  auto stacked = stack_along_axis(steps, axis, spec.dtype, spec.dims);
  if (!stacked.ok()) return with_context(stacked.status(), "scan output '" + body_output.name() + "'");
  return stacked;
}

Status run_if(KernelContext& ctx) {
  KILN_ASSIGN_OR_RETURN(const SubgraphRunner* run, runner_of(ctx));
  KILN_ASSIGN_OR_RETURN(bool cond, scalar_bool(ctx.input(0), "input 'cond'"));
  const Graph& branch = graph_attr(ctx, cond ? "then_branch" : "else_branch");
  KILN_ASSIGN_OR_RETURN(auto outs, (*run)(branch, {}));
  if (static_cast<int>(outs.size()) != ctx.num_outputs())
    return invalid_argument("the branch returned {} output(s), expected {}", outs.size(), ctx.num_outputs());
  for (int i = 0; i < ctx.num_outputs(); ++i) ctx.set_output(i, std::move(outs[static_cast<size_t>(i)]));
  return Status::Ok();
}

Status run_loop(KernelContext& ctx) {
  KILN_ASSIGN_OR_RETURN(const SubgraphRunner* run, runner_of(ctx));
  const Graph& body = graph_attr(ctx, "body");
  int64_t max_trips = INT64_MAX;
  if (ctx.has_input(0)) {
    KILN_ASSIGN_OR_RETURN(auto m, tensor_to_int64s(ctx.input(0)));
    if (m.size() != 1) return invalid_argument("input 'M' must hold one value, got {}", m.size());
    max_trips = m[0];
  }
  bool cond = true;
  if (ctx.has_input(1)) {
    KILN_ASSIGN_OR_RETURN(cond, scalar_bool(ctx.input(1), "input 'cond'"));
  }

  const size_t carried = static_cast<size_t>(ctx.num_inputs() - 2);
  const size_t scanned = static_cast<size_t>(ctx.num_outputs()) - carried;
  std::vector<Tensor> state;
  for (size_t i = 0; i < carried; ++i) state.push_back(ctx.input(static_cast<int>(2 + i)));
  std::vector<std::vector<Tensor>> scans(scanned);

  for (int64_t iter = 0; iter < max_trips && cond; ++iter) {
    std::vector<Tensor> body_in{scalar_tensor_i64(iter), scalar_tensor_bool(cond)};
    body_in.insert(body_in.end(), state.begin(), state.end());
    KILN_ASSIGN_OR_RETURN(auto outs, (*run)(body, body_in));
    KILN_ASSIGN_OR_RETURN(cond, scalar_bool(outs[0], "the body's cond output"));
    for (size_t i = 0; i < carried; ++i) state[i] = std::move(outs[1 + i]);
    for (size_t k = 0; k < scanned; ++k) scans[k].push_back(std::move(outs[1 + carried + k]));
  }

  for (size_t i = 0; i < carried; ++i) ctx.set_output(static_cast<int>(i), std::move(state[i]));
  for (size_t k = 0; k < scanned; ++k) {
    const size_t index = 1 + carried + k;
    const StepSpec spec = step_spec(scans[k], body, index, types_of(ctx, 2, {DataType::kInt64, DataType::kBool}));
    KILN_ASSIGN_OR_RETURN(Tensor out, stack_steps(std::move(scans[k]), false, 0, spec, *body.outputs()[index]));
    ctx.set_output(static_cast<int>(carried + k), std::move(out));
  }
  return Status::Ok();
}

// Attribute `name` as one value per entry, defaulting to zeros.
std::vector<int64_t> ints_or_zeros(const Node& node, const char* name, size_t count) {
  std::vector<int64_t> v = node.attr_ints(name);
  if (v.empty()) v.assign(count, 0);
  return v;
}

// One run of a Scan body over `length` steps: the states thread through the steps; the scan
// inputs are sliced along their axes (from the end where reversed).
struct ScanRun {
  std::vector<Tensor> states;
  std::vector<std::vector<Tensor>> outputs;  // per scan output, per step in step order
};

Expected<ScanRun> run_scan_steps(const SubgraphRunner& run, const Graph& body, std::vector<Tensor> states,
                                 const std::vector<Tensor>& sequences, const std::vector<int>& axes,
                                 const std::vector<int64_t>& reversed, int64_t length, size_t scan_outputs) {
  ScanRun r{std::move(states), std::vector<std::vector<Tensor>>(scan_outputs)};
  for (int64_t step = 0; step < length; ++step) {
    std::vector<Tensor> body_in = r.states;
    for (size_t j = 0; j < sequences.size(); ++j)
      body_in.push_back(slice_at(sequences[j], axes[j], reversed[j] ? length - 1 - step : step));
    KILN_ASSIGN_OR_RETURN(auto outs, run(body, body_in));
    for (size_t i = 0; i < r.states.size(); ++i) {
      if (outs[i].dims() != r.states[i].dims() || outs[i].dtype() != r.states[i].dtype())
        return invalid_argument("state '{}' changed from {} {} to {} {} in a step", body.outputs()[i]->name(),
                                data_type_name(r.states[i].dtype()), dims_to_string(r.states[i].dims()),
                                data_type_name(outs[i].dtype()), dims_to_string(outs[i].dims()));
      r.states[i] = std::move(outs[i]);
    }
    for (size_t k = 0; k < scan_outputs; ++k) r.outputs[k].push_back(std::move(outs[r.states.size() + k]));
  }
  return r;
}

// Scan from opset 9: scan axes and directions per input and output, no batch axis.
Status run_scan9(KernelContext& ctx, const SubgraphRunner& run, const Graph& body) {
  const size_t scan_inputs = static_cast<size_t>(ctx.node().attr_int("num_scan_inputs"));
  const size_t states = static_cast<size_t>(ctx.num_inputs()) - scan_inputs;
  const size_t scan_outputs = static_cast<size_t>(ctx.num_outputs()) - states;
  const auto in_dirs = ints_or_zeros(ctx.node(), "scan_input_directions", scan_inputs);
  const auto in_axes = ints_or_zeros(ctx.node(), "scan_input_axes", scan_inputs);
  const auto out_dirs = ints_or_zeros(ctx.node(), "scan_output_directions", scan_outputs);
  const auto out_axes = ints_or_zeros(ctx.node(), "scan_output_axes", scan_outputs);

  std::vector<Tensor> init, sequences;
  for (size_t i = 0; i < states; ++i) init.push_back(ctx.input(static_cast<int>(i)));
  std::vector<int> axes;
  int64_t length = -1;
  for (size_t j = 0; j < scan_inputs; ++j) {
    const Tensor& seq = ctx.input(static_cast<int>(states + j));
    KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(in_axes[j], seq.rank()));
    if (length >= 0 && seq.dim(axis) != length)
      return invalid_argument("scan input {} has {} steps along axis {}, another has {}", j, seq.dim(axis), axis, length);
    length = seq.dim(axis);
    axes.push_back(axis);
    sequences.push_back(seq);
  }
  KILN_ASSIGN_OR_RETURN(ScanRun r, run_scan_steps(run, body, std::move(init), sequences, axes, in_dirs, length, scan_outputs));
  for (size_t i = 0; i < states; ++i) ctx.set_output(static_cast<int>(i), std::move(r.states[i]));
  for (size_t k = 0; k < scan_outputs; ++k) {
    const StepSpec spec = step_spec(r.outputs[k], body, states + k, types_of(ctx, 0));
    KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(out_axes[k], static_cast<int>(spec.dims.size()) + 1));
    KILN_ASSIGN_OR_RETURN(Tensor out, stack_steps(std::move(r.outputs[k]), out_dirs[k] != 0, axis, spec,
                                                  *body.outputs()[states + k]));
    ctx.set_output(static_cast<int>(states + k), std::move(out));
  }
  return Status::Ok();
}

// Scan in opset 8: every input has a batch axis 0 and its sequence on axis 1; batch entry b runs
// sequence_lens[b] steps and its scan outputs are zero-padded to the longest sequence.
Status run_scan8(KernelContext& ctx, const SubgraphRunner& run, const Graph& body) {
  const size_t scan_inputs = static_cast<size_t>(ctx.node().attr_int("num_scan_inputs"));
  const size_t states = static_cast<size_t>(ctx.num_inputs()) - 1 - scan_inputs;
  const size_t scan_outputs = static_cast<size_t>(ctx.num_outputs()) - states;
  const auto dirs = ints_or_zeros(ctx.node(), "directions", scan_inputs);
  auto input = [&](size_t i) -> const Tensor& { return ctx.input(static_cast<int>(1 + i)); };

  for (size_t i = 0; i < states + scan_inputs; ++i)
    if (input(i).rank() < (i < states ? 1 : 2))
      return invalid_argument("input {} needs a batch axis{}", 1 + i, i < states ? "" : " and a sequence axis");
  const int64_t batch = input(0).dim(0);
  const int64_t max_len = input(states).dim(1);
  for (size_t i = 0; i < states + scan_inputs; ++i) {
    if (input(i).dim(0) != batch) return invalid_argument("input {} has batch {}, expected {}", 1 + i, input(i).dim(0), batch);
    if (i >= states && input(i).dim(1) != max_len)
      return invalid_argument("scan input {} has {} steps, expected {}", 1 + i, input(i).dim(1), max_len);
  }
  std::vector<int64_t> lens(static_cast<size_t>(batch), max_len);
  if (ctx.has_input(0)) {
    KILN_ASSIGN_OR_RETURN(lens, tensor_to_int64s(ctx.input(0)));
    if (static_cast<int64_t>(lens.size()) != batch)
      return invalid_argument("sequence_lens has {} value(s), expected batch size {}", lens.size(), batch);
    for (int64_t len : lens)
      if (len < 0 || len > max_len) return out_of_range("sequence length {} is outside [0, {}]", len, max_len);
  }

  std::vector<std::vector<Tensor>> final_states(states), padded_outputs(scan_outputs);
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<Tensor> init, sequences;
    for (size_t i = 0; i < states; ++i) init.push_back(slice_at(input(i), 0, b));
    for (size_t j = 0; j < scan_inputs; ++j) sequences.push_back(slice_at(input(states + j), 0, b));
    const int64_t len = lens[static_cast<size_t>(b)];
    // A reversed input of a shorter sequence is read from its last valid step.
    for (size_t j = 0; j < scan_inputs; ++j) {
      if (dirs[j] == 0 || len == max_len) continue;
      std::vector<Tensor> valid;
      for (int64_t s = 0; s < len; ++s) valid.push_back(slice_at(sequences[j], 0, s));
      KILN_ASSIGN_OR_RETURN(sequences[j], stack_along_axis(valid, 0, sequences[j].dtype(), dims_without_axis(sequences[j].dims(), 0)));
    }
    KILN_ASSIGN_OR_RETURN(ScanRun r, run_scan_steps(run, body, std::move(init), sequences,
                                                    std::vector<int>(scan_inputs, 0), dirs, len, scan_outputs));
    for (size_t i = 0; i < states; ++i) final_states[i].push_back(std::move(r.states[i]));
    for (size_t k = 0; k < scan_outputs; ++k) {
      std::vector<Tensor>& steps = r.outputs[k];
      const StepSpec spec = step_spec(steps, body, states + k, types_of(ctx, 1));
      while (static_cast<int64_t>(steps.size()) < max_len) steps.emplace_back(spec.dtype, spec.dims);
      KILN_ASSIGN_OR_RETURN(Tensor out, stack_steps(std::move(steps), false, 0, spec, *body.outputs()[states + k]));
      padded_outputs[k].push_back(std::move(out));
    }
  }
  for (size_t i = 0; i < states; ++i) {
    KILN_ASSIGN_OR_RETURN(Tensor out, stack_along_axis(final_states[i], 0, input(i).dtype(), dims_without_axis(input(i).dims(), 0)));
    ctx.set_output(static_cast<int>(i), std::move(out));
  }
  for (size_t k = 0; k < scan_outputs; ++k) {
    StepSpec spec = step_spec(padded_outputs[k], body, states + k, types_of(ctx, 1));
    if (padded_outputs[k].empty()) spec.dims.insert(spec.dims.begin(), max_len);  // an empty batch
    KILN_ASSIGN_OR_RETURN(Tensor out, stack_steps(std::move(padded_outputs[k]), false, 0, spec, *body.outputs()[states + k]));
    ctx.set_output(static_cast<int>(states + k), std::move(out));
  }
  return Status::Ok();
}

Status run_scan(KernelContext& ctx) {
  KILN_ASSIGN_OR_RETURN(const SubgraphRunner* run, runner_of(ctx));
  const Graph& body = graph_attr(ctx, "body");
  return ctx.opset() < 9 ? run_scan8(ctx, *run, body) : run_scan9(ctx, *run, body);
}

}  // namespace

void register_control_kernels(KernelRegistry& r) {
  r.add("If", run_if);
  r.add("Loop", run_loop);
  r.add("Scan", run_scan);
}

}  // namespace kiln
