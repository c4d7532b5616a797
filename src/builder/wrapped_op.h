// Reading kiln.ChannelsLast layers (layout_assignment.h) from outside: the op a wrapper runs and
// the values its op reads outside the wrapper. The fusions that join two such layers after layout
// assignment (stem_pool_fusion.h, shortcut_conv_fusion.h) look at their ops through these.
#pragma once

#include <unordered_map>
#include <vector>

#include "ir/graph.h"

namespace kiln {

// The one op a kiln.ChannelsLast wrapper runs, or null (not a wrapper, or a fused one).
const Node* single_op(const Node& wrapper);

// The values `op`'s inputs are outside `wrapper`, in op's order (null where absent): the body's
// formal inputs are the wrapper's, in order.
std::vector<const Value*> outer_inputs(const Node& wrapper, const Node& op);

// The layer making `v` when one node alone reads it (`readers`: Graph::consumers()) and it is not
// a graph output, so a fusion may keep `v` inside one layer; else null.
Node* producer_of_sole_read(const Graph& graph,
                            const std::unordered_map<const Value*, std::vector<const Node*>>& readers,
                            const Value* v);

// Whether `n` is a kiln.QConv.
bool is_qconv(const Node& n);

}  // namespace kiln
