// Runs the pass pipeline of an optimization level over a graph, with per-pass statistics,
// optional IR dumps before and after each pass, and passes disabled by name for bisection.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "passes/pass.h"

namespace kiln {

struct PassOptions {
  int level = 3;                    // 0 = no passes ... 3 = all
  std::set<std::string> disabled;   // pass names to skip
  std::string dump_ir_dir;          // when set: NN_<pass>.before.txt / .after.txt per pass
};

struct PassStats {
  std::string pass;
  int nodes_before = 0;
  int nodes_after = 0;
  std::vector<std::string> events;
  // "pass NAME: A -> B layers" and one line per event; empty when the pass changed nothing.
  std::string to_string() const;
};

struct OptimizationReport {
  int layers_before = 0;
  int layers_after = 0;
  std::vector<PassStats> passes;
  // Readable summary: counts, then each pass's events.
  std::string to_string() const;
};

// The passes of an optimization level, in order (src/passes/pipeline.cc).
std::vector<std::unique_ptr<Pass>> make_pipeline(int level);
// The passes the CUDA build runs after layout assignment (at optimization level 2 and up).
std::vector<std::unique_ptr<Pass>> make_lowering_pipeline(int level);
// Every pass name any level or lowering uses (to validate --disable-pass).
std::vector<std::string> all_pass_names();

Expected<OptimizationReport> optimize_graph(Graph& graph, const PassOptions& options);
// The lowering passes over a lowered graph (the same statistics, disabling and IR dumps, the
// dumps named lowering_NN_<pass>).
Expected<OptimizationReport> lower_graph(Graph& graph, const PassOptions& options);

}  // namespace kiln
