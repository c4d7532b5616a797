// A graph optimization pass: match, guard, rewrite, and say what it did.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"

namespace kiln {

// What one pass run changed, for `kiln build --report` and for tests.
struct PassResult {
  // One line per rewrite: "fused 'conv1 + bn1 + relu1'", "eliminated 'drop1' (Dropout)".
  std::vector<std::string> events;
  bool changed() const { return !events.empty(); }
};

class Pass {
 public:
  virtual ~Pass() = default;
  // Short, stable, used by --disable-pass: "constant_folding", "fuse_conv_activation".
  virtual std::string_view name() const = 0;
  // Rewrites `graph` in place. The manager re-sorts and re-infers shapes afterwards, so a pass
  // may append nodes anywhere and leave removed nodes' outputs unpruned.
  virtual Expected<PassResult> run(Graph& graph) = 0;
};

}  // namespace kiln
