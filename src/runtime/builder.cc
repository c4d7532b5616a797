#include <set>

#include "builder/memory_planner.h"
#include "core/error.h"
#include "ir/graph.h"
#include "kiln/kiln.h"
#include "passes/pass_manager.h"
#include "runtime/cpu_engine.h"

namespace kiln {

namespace {

// The report's memory line: the plan at the declared input shapes, dynamic dims taken as 1.
std::string memory_report(const Graph& graph) {
  std::vector<std::vector<int64_t>> input_dims;
  bool dynamic = false;
  for (const Value* v : graph.inputs()) {
    std::vector<int64_t> dims;
    for (const Dim& d : v->shape().dims()) {
      dynamic = dynamic || !d.is_static();
      dims.push_back(d.is_static() ? d.value : 1);
    }
    input_dims.push_back(std::move(dims));
  }
  auto concrete = infer_concrete_dims(graph, input_dims);
  if (!concrete.ok()) return "memory: not planned: " + concrete.status().to_string() + "\n";
  return plan_memory(graph, *concrete).summary() + (dynamic ? " (dynamic dims taken as 1)\n" : "\n");
}

}  // namespace

Expected<std::unique_ptr<Engine>> Builder::build(const Network& network) {
  if (config_.optimization_level < 0 || config_.optimization_level > 3)
    return invalid_argument("optimization level must be 0 to 3, got {}", config_.optimization_level);
  // Optimize a copy: the Network stays as imported, and can be built again with other settings.
  std::shared_ptr<Graph> graph = network.graph().clone();
  PassOptions options;
  options.level = config_.optimization_level;
  options.disabled = std::set<std::string>(config_.disabled_passes.begin(), config_.disabled_passes.end());
  options.dump_ir_dir = config_.dump_ir_dir;
  KILN_ASSIGN_OR_RETURN(OptimizationReport report, optimize_graph(*graph, options));
  report_ = report.to_string() + memory_report(*graph);
  switch (config_.device) {
    case DeviceKind::kCpu: {
      PlanInfo info;
      info.build.optimization_level = config_.optimization_level;
      info.profiles = config_.profiles;
      return build_cpu_engine(std::move(graph), std::move(info));
    }
    case DeviceKind::kCuda: return unsupported("the CUDA backend is not available in this build yet");
  }
  return invalid_argument("unknown device kind");
}

}  // namespace kiln
