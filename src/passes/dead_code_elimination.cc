// Removes layers whose outputs nobody reads and that are not graph outputs.
#include <unordered_set>

#include "passes/passes.h"

namespace kiln {

namespace {

class DeadCodeElimination final : public Pass {
 public:
  std::string_view name() const override { return "dead_code_elimination"; }

  Expected<PassResult> run(Graph& graph) override {
    PassResult result;
    std::unordered_set<const Value*> live(graph.outputs().begin(), graph.outputs().end());
    std::vector<const Node*> dead;
    // Walk backwards so a chain of dead layers goes in one run.
    for (auto it = graph.nodes().rbegin(); it != graph.nodes().rend(); ++it) {
      const Node& n = **it;
      bool used = false;
      for (const Value* v : n.outputs()) used |= v && live.count(v);
      if (!used) {
        dead.push_back(&n);
        result.events.push_back("eliminated dead layer '" + n.name() + "' (" + n.op_type() + ")");
        continue;
      }
      for (const Value* v : n.inputs()) live.insert(v);
    }
    graph.erase_nodes(dead);
    return result;
  }
};

}  // namespace

std::unique_ptr<Pass> make_dead_code_elimination() { return std::make_unique<DeadCodeElimination>(); }

}  // namespace kiln
