// The [start, end) range of dims the Shape op reports, shared by its inference and kernel.
#pragma once

#include <cstdint>
#include <utility>

#include "ir/graph.h"

namespace kiln {

// 'start'/'end' attributes (opset 15) with negative values counted from the end, clamped to [0, rank].
std::pair<int64_t, int64_t> shape_range(const Node& node, int rank);

}  // namespace kiln
