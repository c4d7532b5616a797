// `kiln inspect MODEL.onnx|MODEL.plan [--json] [--plugin LIB]...`: inputs, outputs and the graph; for a plan also
// its build configuration, target, per-layer tactics and memory plan.
#include <iostream>
#include <map>

#include "core/error.h"
#include "ir/graph.h"
#include "onnx/onnx_importer.h"
#include "plugin/plugin_node.h"
#include "tools/kiln/cli_common.h"
#include "tools/kiln/commands.h"
#include "tools/kiln/inspect_json.h"

namespace kiln::cli {

namespace {

struct InspectOptions {
  std::string model;
  bool json = false;
  std::vector<std::string> plugins;
};

void print_plan(const LoadedPlan& plan) {
  const PlanTarget& t = plan.info.target;
  const PlanBuildConfig& b = plan.info.build;
  std::cout << fmt::format("plan: Kiln {}, {} bytes ({} of weights)\n", plan.kiln_version, plan.file_bytes,
                           plan.weights_bytes);
  std::cout << "target: " << t.backend;
  if (!t.gpu_name.empty())
    std::cout << fmt::format(" '{}' sm_{}{}, CUDA runtime {}, cuDNN {}", t.gpu_name, t.compute_major, t.compute_minor,
                             t.cuda_runtime_version, t.cudnn_version);
  std::cout << fmt::format("\nbuild: optimization level {}{}{}{}{}{}, workspace limit {}{}\n", b.optimization_level,
                           b.tf32 ? ", tf32" : "", b.fp16 ? ", fp16" : "", b.bf16 ? ", bf16" : "",
                           b.int8 ? ", int8" : "", b.fp8 ? ", fp8" : "",
                           b.workspace_limit ? std::to_string(b.workspace_limit) : "none",
                           b.aux_streams ? fmt::format(", {} auxiliary streams", b.aux_streams) : "");
  const auto& nodes = plan.graph->nodes();
  for (size_t i = 0; i < plan.info.annotations.size() && i < nodes.size(); ++i) {
    const NodeAnnotation& a = plan.info.annotations[i];
    if (a.tactic.empty() && a.precision.empty()) continue;
    std::cout << fmt::format("layer {}: tactic '{}', precision '{}'", nodes[i]->name(), a.tactic, a.precision);
    if (!a.provider.empty()) std::cout << fmt::format(", {} ({:.4f} ms at build)", a.provider, a.tactic_ms);
    std::cout << "\n";
  }
  for (const PluginIdentity& id : plugins_used(*plan.graph))
    std::cout << "uses " << id.describe() << (PluginRegistry::global().find(id) ? "\n" : " (not loaded)\n");
  if (plan.info.memory_plan)
    std::cout << fmt::format("memory plan: {} tensors in a {}-byte arena\n", plan.info.memory_plan->placements.size(),
                             plan.info.memory_plan->arena_bytes);
}

Status inspect(const InspectOptions& o) {
  KILN_RETURN_IF_ERROR(load_plugins(o.plugins));
  KILN_ASSIGN_OR_RETURN(bool is_plan, is_plan_file(o.model));
  std::optional<LoadedPlan> plan;
  std::shared_ptr<const Graph> graph;
  if (is_plan) {
    // Any target: inspecting a plan built for another machine is fine.
    KILN_ASSIGN_OR_RETURN(plan, read_plan(o.model, std::nullopt));
    graph = plan->graph;
  } else {
    KILN_ASSIGN_OR_RETURN(graph, import_onnx_file(o.model));
  }
  if (o.json) {
    std::cout << inspect_json(*graph, plan ? &*plan : nullptr).dump(2) << "\n";
    return Status::Ok();
  }
  std::cout << "model: " << o.model << "\n";
  if (plan) print_plan(*plan);
  for (const Value* v : graph->inputs())
    std::cout << "input  " << v->name() << ": " << data_type_name(v->dtype()) << " " << v->shape().to_string() << "\n";
  for (const Value* v : graph->outputs())
    std::cout << "output " << v->name() << ": " << data_type_name(v->dtype()) << " " << v->shape().to_string() << "\n";
  std::map<std::string, int> op_counts;
  for (const auto& n : graph->nodes()) ++op_counts[n->op_type()];
  std::cout << "ops:";
  for (const auto& [op, n] : op_counts) std::cout << " " << op << "x" << n;
  std::cout << "\n\n" << dump_graph(*graph);
  return Status::Ok();
}

}  // namespace

void add_inspect_command(CLI::App& app, int& rc) {
  auto opts = std::make_shared<InspectOptions>();
  CLI::App* cmd = app.add_subcommand("inspect", "Print a model's or plan's inputs, outputs and graph");
  cmd->add_option("model", opts->model, "ONNX model or Kiln plan")->required();
  cmd->add_flag("--json", opts->json, "Print JSON (layers, tensors, and for plans build config, target, memory plan)");
  add_plugin_flag(cmd, opts->plugins);
  cmd->callback([opts, &rc] {
    Status s = inspect(*opts);
    rc = s.ok() ? 0 : report_error(s);
  });
}

}  // namespace kiln::cli
