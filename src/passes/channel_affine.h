// Folding a per-output-channel affine map y * scale[c] + shift[c] into the Conv, ConvTranspose
// or Gemm that produces y, by rewriting its constant weights and bias. BatchNormalization at
// inference is such a map, and so is a Mul or Add by a per-channel constant.
#pragma once

#include <optional>
#include <vector>

#include "ir/graph.h"
#include "passes/rewrite_util.h"

namespace kiln {

// One entry per output channel.
struct ChannelAffine {
  std::vector<double> scale;
  std::vector<double> shift;
};

// The number of output channels of `layer` when an affine map can fold into it: a Conv,
// ConvTranspose or Gemm (transA any, C absent, scalar or per column) with constant floating
// weights and bias and a statically shaped output; nullopt otherwise.
std::optional<int64_t> foldable_output_channels(const Node& layer);

// The output's channel axis: 1 ([N, C, spatial...] for convolutions, [M, N] for Gemm).
inline constexpr int kChannelAxis = 1;

// Replaces `layer` and the nodes in `folded` (which computed the map on its output) by one layer
// of the same op, named after all of them, whose constants compute layer(x) * scale + shift, and
// which produces `output`. Erases the replaced nodes.
Expected<Node*> fold_channel_affine(Graph& graph, const Node& layer, const std::vector<const Node*>& folded,
                                    const ChannelAffine& affine, Value* output);

// The per-channel values of a constant `c` that broadcasts against an output of rank `rank`
// along the channel axis only (every other dim 1), expanded to `channels` entries; nullopt when
// `c` varies along another axis or would change the output's shape.
std::optional<std::vector<double>> per_channel_values(const Tensor& c, int rank, int64_t channels);

}  // namespace kiln
