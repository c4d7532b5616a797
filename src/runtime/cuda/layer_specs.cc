#include "runtime/cuda/layer_specs.h"

#include <fmt/format.h>

#include <functional>

#include "backends/cuda/host_fallback.h"
#include "core/error.h"
#include "ir/ops/fused_ops.h"

namespace kiln {

namespace {

Expected<cuda::TensorDesc> desc_of(const Value* v, const ConcreteDims& dims, const Node& node,
                                   const HostValues* host_values) {
  if (v->is_constant()) return cuda::TensorDesc{v->dtype(), v->constant().dims(), &v->constant()};
  if (host_values != nullptr)
    if (auto it = host_values->find(v); it != host_values->end())
      return cuda::TensorDesc{v->dtype(), it->second->dims(), it->second};
  auto it = dims.find(v);
  if (it == dims.end())
    return unsupported("{}: the shape of '{}' depends on the data; CUDA engines need every shape known when "
                       "the inputs' shapes are",
                       node.describe(), v->name());
  return cuda::TensorDesc{v->dtype(), it->second, nullptr};
}

}  // namespace

Expected<cuda::LayerSpec> make_layer_spec(const Node& node, const ConcreteDims& dims, bool allow_tf32,
                                          size_t workspace_limit, const HostValues* host_values,
                                          bool data_dependent_outputs) {
  cuda::LayerSpec spec;
  spec.node = &node;
  spec.op = &node;
  spec.allow_tf32 = allow_tf32;
  spec.workspace_limit = workspace_limit;
  const bool wrapper = node.domain() == kKilnDomain && node.op_type() == kChannelsLastOp;
  if (wrapper) {
    const Graph& body = *node.attr("body")->g;
    const auto flags = node.attr_ints("nhwc_inputs");
    spec.op = body.nodes().front().get();
    spec.channels_last = true;
    // A stem whose max pool joined its layer (fuse_stem_max_pool): the body's second node.
    if (body.nodes().size() == 2 && body.nodes().back()->op_type() == "MaxPool") {
      spec.pool = body.nodes().back().get();
    } else if (body.nodes().size() == 2 && is_shortcut_conv_pair(*body.nodes().front(), *body.nodes().back())) {
      // A convolution with its shortcut convolution (fuse_shortcut_conv): the second node is the layer's.
      spec.shortcut = body.nodes().front().get();
      spec.op = body.nodes().back().get();
    } else if (body.nodes().size() != 1) {
      return unsupported("{}: a channels-last layer of {} ops", node.describe(), body.nodes().size());
    }
    // op's inputs, then the shortcut's: each the wrapper input it is, or -1 (absent, or made
    // inside the body as op's residual is).
    auto add_inputs_of = [&](const Node& op) {
      for (const Value* in : op.inputs()) {
        int k = -1;
        for (size_t j = 0; in != nullptr && j < body.inputs().size(); ++j)
          if (body.inputs()[j] == in) k = static_cast<int>(j);
        spec.node_input_of_op.push_back(k);
        spec.input_nhwc.push_back(k >= 0 && flags.at(static_cast<size_t>(k)) != 0);
      }
    };
    add_inputs_of(*spec.op);
    if (spec.shortcut != nullptr) {
      spec.shortcut_input_begin = spec.node_input_of_op.size();
      add_inputs_of(*spec.shortcut);
    }
  } else {
    for (size_t i = 0; i < node.inputs().size(); ++i) spec.node_input_of_op.push_back(node.inputs()[i] ? static_cast<int>(i) : -1);
  }
  for (int k : spec.node_input_of_op) {
    if (k < 0) {
      spec.inputs.push_back(std::nullopt);
      continue;
    }
    KILN_ASSIGN_OR_RETURN(auto d, desc_of(node.inputs()[static_cast<size_t>(k)], dims, node, host_values));
    spec.inputs.push_back(std::move(d));
  }
  for (const Value* out : node.outputs()) {
    if (out == nullptr) return unsupported("{}: absent optional outputs are not supported on CUDA", node.describe());
    if (data_dependent_outputs && !dims.count(out)) {
      cuda::TensorDesc d{out->dtype(), {}, nullptr};
      d.data_dependent = true;
      spec.outputs.push_back(std::move(d));
      continue;
    }
    KILN_ASSIGN_OR_RETURN(auto d, desc_of(out, dims, node, nullptr));
    spec.outputs.push_back(std::move(d));
  }
  return spec;
}

bool is_shape_tensor_input(const Graph& graph, const Value* input) {
  auto dims = input->shape().static_dims();
  if (dims && checked_numel(*dims) > 64) return false;
  if (input->shape().rank_known() && input->shape().rank() > 1) return false;
  if (input->dtype() == DataType::kInt64 || input->dtype() == DataType::kInt32) return true;
  if (!is_floating(input->dtype())) return false;
  for (const auto& n : graph.nodes()) {
    const std::string& op = n->op_type();
    if (op != "Resize" && op != "Upsample" && op != "Range") continue;
    for (size_t i = 0; i < n->inputs().size(); ++i)
      if (n->inputs()[i] == input && (op == "Range" || i > 0)) return true;
  }
  return false;
}

std::string layer_signature(const cuda::LayerSpec& spec) {
  const Node& n = *spec.node;
  std::string s = fmt::format("{}.{}:{}", n.domain(), n.op_type(), n.opset());
  for (const auto& [k, a] : n.attrs()) {
    s += " " + k + "=" + (a.g ? dump_graph(*a.g) : a.to_string());
    // A tensor attribute's bytes (a plugin's configuration) change what the layer does.
    if (a.type == AttrType::kTensor)
      s += fmt::format("#{:016x}", std::hash<std::string_view>()(
                                       std::string_view(static_cast<const char*>(a.t.raw()), a.t.nbytes())));
  }
  for (const auto& in : spec.inputs) {
    if (!in) {
      s += " -";
      continue;
    }
    s += fmt::format(" {}[{}]", data_type_name(in->dtype), fmt::join(in->dims, ","));
    // Small constants (shapes, axes, pads) change what a layer does; large ones (weights) do not
    // change its time.
    if (in->host_constant != nullptr && in->host_constant->nbytes() <= 64) {
      const auto* b = static_cast<const uint8_t*>(in->host_constant->raw());
      s += '=';
      s += fmt::format("{:02x}", fmt::join(b, b + in->host_constant->nbytes(), ""));
    }
  }
  for (const auto& out : spec.outputs) s += fmt::format(" -> {}[{}]", data_type_name(out.dtype), fmt::join(out.dims, ","));
  s += spec.allow_tf32 ? " tf32" : "";
  return s;
}

std::string precision_of(const cuda::LayerSpec& spec) {
  DataType dt = spec.outputs.empty() ? DataType::kUndefined : spec.outputs[0].dtype;
  // A Cast or comparison computes in its input's type.
  if (!spec.inputs.empty() && spec.inputs[0]) dt = spec.inputs[0]->dtype;
  switch (dt) {
    case DataType::kFloat32: {
      const std::string& op = spec.op->op_type();
      const bool tensor_core = op == "Conv" || op == kFusedConvOp || op == "MatMul" || op == "Gemm" || op == kFusedMatMulOp;
      return tensor_core && spec.allow_tf32 ? "tf32" : "fp32";
    }
    case DataType::kFloat16: return "fp16";
    case DataType::kBFloat16: return "bf16";
    default: return std::string(data_type_name(dt));
  }
}

const cuda::TacticProvider* find_provider(const std::string& name) {
  if (name == cuda::host_fallback_provider().name()) return &cuda::host_fallback_provider();
  for (const cuda::TacticProvider* p : cuda::all_providers())
    if (p->name() == name) return p;
  return nullptr;
}

}  // namespace kiln
