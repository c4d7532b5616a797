// Reference kernels of Kiln's fused ops (ir/ops/fused_ops.h). They are the oracle for the
// backends' fused kernels, so they compute nothing themselves: each runs the registered kernels
// of the ops the layer replaced (Conv or MatMul, Add for bias and residual, the activation,
// Mul for the gate, Split for sibling outputs, the body's ops for Pointwise), in the original
// order, so a fused graph computes what the unfused one did.
#include <algorithm>
#include <vector>

#include "backends/reference/kernel.h"
#include "ir/ops/fused_ops.h"

namespace kiln {

namespace {

// Runs `node`'s registered kernel on `inputs` into `outputs` (preallocated; they may alias an
// input for elementwise ops, which read each element before writing it).
Status run_kernel(const Node& node, std::vector<const Tensor*> inputs, std::vector<Tensor*> outputs) {
  const KernelFn* kernel = KernelRegistry::global().find(node.op_type(), node.domain());
  if (kernel == nullptr) return internal_error("no reference kernel for {}", node.op_type());
  std::vector<Tensor> out;
  for (Tensor* t : outputs) out.push_back(*t);
  KernelContext ctx(node, std::move(inputs), std::move(out));
  KILN_RETURN_IF_ERROR(with_context((*kernel)(ctx), node.op_type()));
  // A kernel may replace an output instead of filling it.
  for (size_t i = 0; i < outputs.size(); ++i) *outputs[i] = ctx.output(static_cast<int>(i));
  return Status::Ok();
}

// y += bias (broadcast along the last axis) or residual (same shape), in place.
Status add_in_place(Tensor& y, const Tensor& addend) {
  static const Node add = standalone_node("Add", 14);
  return run_kernel(add, {&y, &addend}, {&y});
}

// y = act(y), or y * act(y) when gated, in place.
Status activate_in_place(const Activation& act, Tensor& y) {
  if (act.none()) return Status::Ok();
  const Node node = activation_node(act);
  if (!act.gated) return run_kernel(node, {&y}, {&y});
  Tensor gate(y.dtype(), y.dims());
  KILN_RETURN_IF_ERROR(run_kernel(node, {&y}, {&gate}));
  static const Node mul = standalone_node("Mul", 14);
  return run_kernel(mul, {&y, &gate}, {&y});
}

const Tensor* optional_input(const KernelContext& ctx, int i) { return ctx.has_input(i) ? &ctx.input(i) : nullptr; }

// The layer's computation on its base op (Conv or MatMul) into one tensor `full`, then the
// epilogue, then (for merged siblings) the split into the outputs along `channel_axis`.
// `bias` is MatMul's (Conv's goes into the Conv kernel with its inputs).
Status run_fused(KernelContext& ctx, std::string_view base_op, std::vector<const Tensor*> base_inputs,
                 const Tensor* bias, int channel_axis) {
  const Node& node = ctx.node();
  const auto slices = node.attr_ints("output_channels");
  Tensor full = ctx.output(0);
  if (!slices.empty()) {
    std::vector<int64_t> dims = full.dims();
    const int axis = channel_axis < 0 ? full.rank() + channel_axis : channel_axis;
    dims[static_cast<size_t>(axis)] = 0;
    for (int64_t c : slices) dims[static_cast<size_t>(axis)] += c;
    full = Tensor(full.dtype(), std::move(dims));
  }
  // The base kernel reads its attributes from the fused node, which carries them under the same names.
  const KernelFn* base = KernelRegistry::global().find(base_op, "");
  if (base == nullptr) return internal_error("no reference kernel for {}", base_op);
  KernelContext base_ctx(node, std::move(base_inputs), {full});
  KILN_RETURN_IF_ERROR((*base)(base_ctx));
  full = base_ctx.output(0);
  if (bias != nullptr) KILN_RETURN_IF_ERROR(add_in_place(full, *bias));
  if (const Tensor* residual = optional_input(ctx, 3)) KILN_RETURN_IF_ERROR(add_in_place(full, *residual));
  KILN_RETURN_IF_ERROR(activate_in_place(activation_of_fused(node), full));
  if (slices.empty()) {
    ctx.output(0) = full;
    return Status::Ok();
  }
  const Node split = standalone_node("Split", 13, {{"axis", Attribute::of_int(channel_axis)}});
  std::vector<Tensor*> outputs;
  for (int i = 0; i < ctx.num_outputs(); ++i) outputs.push_back(&ctx.output(i));
  return run_kernel(split, {&full}, outputs);
}

Status fused_conv(KernelContext& ctx) {
  return run_fused(ctx, "Conv", {&ctx.input(0), &ctx.input(1), optional_input(ctx, 2)}, nullptr, 1);
}

Status fused_matmul(KernelContext& ctx) {
  return run_fused(ctx, "MatMul", {&ctx.input(0), &ctx.input(1)}, optional_input(ctx, 2), -1);
}

Status pointwise(KernelContext& ctx) {
  const Attribute* body = ctx.node().attr("body");
  if (body == nullptr || !body->g) return invalid_argument("attribute 'body' is missing");
  if (ctx.subgraphs() == nullptr) return internal_error("Pointwise needs a subgraph runner");
  std::vector<Tensor> inputs;
  for (int i = 0; i < ctx.num_inputs(); ++i) inputs.push_back(ctx.input(i));
  KILN_ASSIGN_OR_RETURN(auto outputs, (*ctx.subgraphs())(*body->g, inputs));
  for (size_t i = 0; i < outputs.size(); ++i) ctx.set_output(static_cast<int>(i), std::move(outputs[i]));
  return Status::Ok();
}

// [N, C, spatial...] <-> [N, spatial..., C] with the Transpose kernel.
Expected<Tensor> permute_channels(const Tensor& t, bool to_channels_last) {
  std::vector<int64_t> perm(static_cast<size_t>(t.rank()));
  for (int i = 0; i < t.rank(); ++i) perm[static_cast<size_t>(i)] = i;
  if (to_channels_last)
    std::rotate(perm.begin() + 1, perm.begin() + 2, perm.end());
  else
    std::rotate(perm.begin() + 1, perm.end() - 1, perm.end());
  const Node transpose = standalone_node("Transpose", 13, {{"perm", Attribute::of_ints(perm)}});
  std::vector<int64_t> dims;
  for (int64_t p : perm) dims.push_back(t.dim(static_cast<int>(p)));
  Tensor out(t.dtype(), dims);
  KILN_RETURN_IF_ERROR(run_kernel(transpose, {&t}, {&out}));
  return out;
}

// The body's op on [N, C, ...] tensors, between the permutations.
Status channels_last(KernelContext& ctx) {
  const Attribute* body = ctx.node().attr("body");
  if (body == nullptr || !body->g) return invalid_argument("attribute 'body' is missing");
  if (ctx.subgraphs() == nullptr) return internal_error("ChannelsLast needs a subgraph runner");
  const auto flags = ctx.node().attr_ints("nhwc_inputs");
  std::vector<Tensor> inputs;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) {
      inputs.emplace_back();
      continue;
    }
    const Tensor& x = ctx.input(i);
    if (flags.at(static_cast<size_t>(i)) != 0 && x.rank() >= 3) {
      KILN_ASSIGN_OR_RETURN(Tensor nchw, permute_channels(x, false));
      inputs.push_back(std::move(nchw));
    } else {
      inputs.push_back(x);
    }
  }
  KILN_ASSIGN_OR_RETURN(auto outputs, (*ctx.subgraphs())(*body->g, inputs));
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i].rank() < 3) {
      ctx.set_output(static_cast<int>(i), std::move(outputs[i]));
      continue;
    }
    KILN_ASSIGN_OR_RETURN(Tensor nhwc, permute_channels(outputs[i], true));
    ctx.set_output(static_cast<int>(i), std::move(nhwc));
  }
  return Status::Ok();
}

}  // namespace

void register_fused_kernels(KernelRegistry& r) {
  const std::string domain(kKilnDomain);
  r.add(std::string(kFusedConvOp), fused_conv, domain);
  r.add(std::string(kFusedMatMulOp), fused_matmul, domain);
  r.add(std::string(kPointwiseOp), pointwise, domain);
  r.add(std::string(kChannelsLastOp), channels_last, domain);
}

}  // namespace kiln
