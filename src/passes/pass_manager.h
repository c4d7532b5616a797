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
// Every pass name any level uses (to validate --disable-pass).
std::vector<std::string> all_pass_names();

Expected<OptimizationReport> optimize_graph(Graph& graph, const PassOptions& options);

}  // namespace kiln
