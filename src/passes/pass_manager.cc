#include "passes/pass_manager.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "ir/shape_inference.h"

namespace kiln {

namespace {

Status dump(const Graph& g, const std::string& dir, std::string_view prefix, int index, std::string_view pass,
            const char* when) {
  const auto path = std::filesystem::path(dir) / fmt::format("{}{:02d}_{}.{}.txt", prefix, index, pass, when);
  std::ofstream out(path);
  if (!out) return io_error("cannot write IR dump '{}'", path.string());
  out << dump_graph(g);
  return Status::Ok();
}

// Runs `passes` in order (skipping disabled ones), re-sorting and re-inferring shapes after each.
Expected<OptimizationReport> run_passes(Graph& graph, std::vector<std::unique_ptr<Pass>> passes,
                                        const PassOptions& options, std::string_view dump_prefix) {
  for (const std::string& d : options.disabled) {
    const auto names = all_pass_names();
    if (std::find(names.begin(), names.end(), d) == names.end())
      return invalid_argument("unknown pass '{}' (passes: {})", d, fmt::join(names, ", "));
  }
  if (!options.dump_ir_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.dump_ir_dir, ec);
    if (ec) return io_error("cannot create '{}': {}", options.dump_ir_dir, ec.message());
  }
  OptimizationReport report;
  report.layers_before = static_cast<int>(graph.nodes().size());
  int index = 0;
  for (auto& pass : passes) {
    if (options.disabled.count(std::string(pass->name()))) continue;
    ++index;
    PassStats stats;
    stats.pass = pass->name();
    stats.nodes_before = static_cast<int>(graph.nodes().size());
    if (!options.dump_ir_dir.empty())
      KILN_RETURN_IF_ERROR(dump(graph, options.dump_ir_dir, dump_prefix, index, pass->name(), "before"));
    auto result = pass->run(graph);
    if (!result.ok()) return with_context(result.status(), "pass " + std::string(pass->name()));
    graph.prune_values();
    Status s = graph.topological_sort();
    if (s.ok()) s = infer_graph_shapes(graph);
    if (!s.ok()) return internal_error("pass {} left an invalid graph: {}", pass->name(), s.to_string());
    stats.nodes_after = static_cast<int>(graph.nodes().size());
    stats.events = std::move(result->events);
    if (!options.dump_ir_dir.empty())
      KILN_RETURN_IF_ERROR(dump(graph, options.dump_ir_dir, dump_prefix, index, pass->name(), "after"));
    report.passes.push_back(std::move(stats));
  }
  report.layers_after = static_cast<int>(graph.nodes().size());
  return report;
}

}  // namespace

std::string PassStats::to_string() const {
  if (events.empty()) return "";
  std::string s = fmt::format("pass {}: {} -> {} layers\n", pass, nodes_before, nodes_after);
  for (const std::string& e : events) s += "  " + e + "\n";
  return s;
}

std::string OptimizationReport::to_string() const {
  std::string s = fmt::format("layers: {} before, {} after optimization\n", layers_before, layers_after);
  for (const PassStats& p : passes) s += p.to_string();
  return s;
}

Expected<OptimizationReport> optimize_graph(Graph& graph, const PassOptions& options) {
  return run_passes(graph, make_pipeline(options.level), options, "");
}

Expected<OptimizationReport> lower_graph(Graph& graph, const PassOptions& options) {
  return run_passes(graph, make_lowering_pipeline(options.level), options, "lowering_");
}

}  // namespace kiln
