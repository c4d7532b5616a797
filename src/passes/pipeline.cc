// The pass pipelines, one per optimization level. Order matters: folding and no-op removal
// first expose the patterns fusion looks for; dead-layer elimination last sweeps what they leave.
#include "passes/pass_manager.h"
#include "passes/passes.h"

namespace kiln {

std::vector<std::unique_ptr<Pass>> make_pipeline(int level) {
  std::vector<std::unique_ptr<Pass>> p;
  if (level >= 1) {
    p.push_back(make_constant_folding());
    p.push_back(make_noop_elimination());
    p.push_back(make_dead_code_elimination());
  }
  return p;
}

std::vector<std::string> all_pass_names() {
  std::vector<std::string> names;
  for (const auto& p : make_pipeline(3)) names.emplace_back(p->name());
  return names;
}

}  // namespace kiln
