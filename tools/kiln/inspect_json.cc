#include "tools/kiln/inspect_json.h"

namespace kiln::cli {

namespace {

using nlohmann::json;

// Dims as numbers, symbols as strings, unknown dims as null; an unknown rank is null.
json shape_json(const Shape& shape) {
  if (!shape.rank_known()) return nullptr;
  json dims = json::array();
  for (const Dim& d : shape.dims()) {
    if (d.is_static()) dims.push_back(d.value);
    else if (!d.symbol.empty()) dims.push_back(d.symbol);
    else dims.push_back(nullptr);
  }
  return dims;
}

json tensor_json(const Value* v) {
  if (v == nullptr) return nullptr;  // an absent optional input or output
  return {{"name", v->name()}, {"dtype", data_type_name(v->dtype())}, {"shape", shape_json(v->shape())}};
}

json tensors_json(const std::vector<Value*>& values) {
  json out = json::array();
  for (const Value* v : values) out.push_back(tensor_json(v));
  return out;
}

json plan_json(const LoadedPlan& plan, const Graph& graph) {
  const PlanBuildConfig& b = plan.info.build;
  const PlanTarget& t = plan.info.target;
  json out = {
      {"kiln_version", plan.kiln_version},
      {"file_bytes", plan.file_bytes},
      {"weights_bytes", plan.weights_bytes},
      {"build",
       {{"optimization_level", b.optimization_level}, {"tf32", b.tf32}, {"fp16", b.fp16}, {"bf16", b.bf16},
        {"int8", b.int8}, {"fp8", b.fp8}, {"workspace_limit", b.workspace_limit}}},
      {"target",
       {{"backend", t.backend}, {"gpu_name", t.gpu_name}, {"compute_capability", {t.compute_major, t.compute_minor}},
        {"cuda_runtime_version", t.cuda_runtime_version}, {"cudnn_version", t.cudnn_version}}},
  };
  if (plan.info.memory_plan) {
    json placements = json::array();
    for (const TensorPlacement& p : plan.info.memory_plan->placements)
      placements.push_back({{"tensor", graph.values()[static_cast<size_t>(p.value)]->name()},
                            {"offset", p.offset},
                            {"bytes", p.bytes}});
    out["memory_plan"] = {{"arena_bytes", plan.info.memory_plan->arena_bytes}, {"placements", placements}};
  }
  return out;
}

}  // namespace

json inspect_json(const Graph& graph, const LoadedPlan* plan) {
  json layers = json::array();
  for (size_t i = 0; i < graph.nodes().size(); ++i) {
    const Node& n = *graph.nodes()[i];
    const bool annotated = plan != nullptr && i < plan->info.annotations.size();
    layers.push_back({{"name", n.name()},
                      {"op_type", n.op_type()},
                      {"domain", n.domain()},
                      {"opset", n.opset()},
                      {"tactic", annotated ? plan->info.annotations[i].tactic : ""},
                      {"precision", annotated ? plan->info.annotations[i].precision : ""},
                      {"provider", annotated ? plan->info.annotations[i].provider : ""},
                      {"tactic_ms", annotated ? plan->info.annotations[i].tactic_ms : 0.f},
                      {"inputs", tensors_json(n.inputs())},
                      {"outputs", tensors_json(n.outputs())}});
  }
  json tensors = json::array();
  for (const auto& v : graph.values()) {
    json t = tensor_json(v.get());
    t["constant"] = v->is_constant();
    if (v->is_constant()) t["bytes"] = v->constant().nbytes();
    tensors.push_back(std::move(t));
  }
  json out = {{"format", plan ? "plan" : "onnx"},
              {"inputs", tensors_json(graph.inputs())},
              {"outputs", tensors_json(graph.outputs())},
              {"layers", layers},
              {"tensors", tensors}};
  if (plan) out["plan"] = plan_json(*plan, graph);
  return out;
}

}  // namespace kiln::cli
