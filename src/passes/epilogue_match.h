// Matching what a fused layer absorbs after its base op (Conv, MatMul): a residual Add, then an
// activation, plain (act(y)) or gated (y * act(y): SiLU, opset-13 HardSwish).
#pragma once

#include <unordered_set>
#include <vector>

#include "ir/ops/fused_ops.h"
#include "passes/rewrite_util.h"

namespace kiln {

struct Epilogue {
  std::vector<const Node*> nodes;  // absorbed, in order
  Value* residual = nullptr;
  Activation activation;
  Value* output = nullptr;  // what the fused layer produces
  // "residual Add + Relu", "SiLU": for reports.
  std::string describe() const;
};

// What follows `y` (the base op's output, or its bias Add's) that a fused layer can absorb.
// Nodes in `claimed` (taken by other fusions of the same sweep) are not matched; a residual is
// only matched when `allow_residual`.
Epilogue match_epilogue(const Uses& uses, Value* y, const std::unordered_set<const Node*>& claimed,
                        bool allow_residual);

}  // namespace kiln
