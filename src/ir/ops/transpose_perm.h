// Transpose's permutation, shared by its shape inference and its kernels.
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "ir/graph.h"

namespace kiln {

// The node's 'perm' attribute checked to be a permutation of [0, rank); reversed axes when absent.
Expected<std::vector<int64_t>> transpose_perm(const Node& node, int rank);

}  // namespace kiln
