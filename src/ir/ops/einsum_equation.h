// Einsum equations ("bij,bjk->bik", "...ii->...i", "ij,jk"): parsing and resolving against the
// operands' ranks. Shared by Einsum's shape inference and its kernel.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace kiln {

// Every operand axis and output axis named by a label id. Letters get ids 0..51; the axes an
// ellipsis stands for get ids from kFirstEllipsisLabel on, right-aligned across operands the way
// numpy broadcasts them.
struct EinsumLabels {
  static constexpr int kFirstEllipsisLabel = 52;
  std::vector<std::vector<int>> inputs;  // per operand, per axis
  std::vector<int> output;               // per output axis
  int num_labels = 0;                    // ids are < num_labels
};

// `input_ranks` are the operands' ranks. Errors say what is wrong with the equation.
Expected<EinsumLabels> resolve_einsum(const std::string& equation, const std::vector<int>& input_ranks);

}  // namespace kiln
