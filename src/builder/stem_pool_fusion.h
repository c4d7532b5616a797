// Stem + max pool fusion for the CUDA backend, after layout assignment: a channels-last
// kiln.QConv whose output only a channels-last MaxPool reads becomes one layer, a kiln.ChannelsLast
// whose body runs the convolution then the pool (ResNet's stem and the pool after it). The
// stem's output is an INT8 ResNet-50's largest tensor, and a kernel that pools it before it
// leaves the SM writes a quarter of it (the pooled int8 stem, stem_pool_igemm_int8_conv.h).
//
// Only where `fusable` says a kernel takes the pair: every other provider refuses pooled layers
// (TacticProvider::runs_trailing_pool). The graph keeps ONNX semantics: the reference runs the
// body's two ops in order.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace kiln {

// Whether a kernel runs the convolution `conv` (a kiln.QConv inside its wrapper) followed by the
// MaxPool `pool` of its output `conv_out`. `inputs` are the values conv's inputs are outside the
// wrapper, in conv's order (null where absent): channels-last X, the permuted constant weights.
using StemPoolFusable = std::function<bool(const Node& conv, const Node& pool, const std::vector<const Value*>& inputs,
                                           const Value& conv_out)>;

// The fusions made, one line each ("fused '<conv> + <pool>' (stem + MaxPool)").
Expected<std::vector<std::string>> fuse_stem_max_pool(Graph& graph, const StemPoolFusable& fusable);

}  // namespace kiln
