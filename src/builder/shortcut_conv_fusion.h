// Shortcut convolution fusion for the CUDA backend, after layout assignment: a channels-last
// kiln.QConv whose int8 residual is made by another channels-last kiln.QConv read by nothing else
// (a ResNet block's last 1x1 and its projection shortcut) becomes one layer, a kiln.ChannelsLast
// whose body runs the shortcut convolution, with a float output, then the block convolution
// adding it as a float residual. The shortcut's int8 tensor (as large as the block's output: 205 MB
// in ResNet-50's first stage at batch 256) is neither written nor read back, and one reduction
// covers both convolutions (igemm_int8_shortcut_provider.h).
//
// The body drops the shortcut's int8 rounding: the fused layer computes the float network's value
// more closely than the two quantized layers did, and the reference backend runs the body as it
// stands. Only where `fusable` says a kernel takes the pair: every other provider refuses such
// layers (TacticProvider::runs_shortcut_conv).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace kiln {

// Whether a kernel runs the block convolution `conv` with the convolution `shortcut` as its
// residual. The inputs are the values each op reads outside its wrapper, in op order, with the
// slots the fusion drops already null (conv's residual and residual scale, shortcut's output
// scale); `out` is conv's output.
using ShortcutConvFusable =
    std::function<bool(const Node& conv, const std::vector<const Value*>& conv_inputs, const Node& shortcut,
                       const std::vector<const Value*>& shortcut_inputs, const Value& out)>;

// The fusions made, one line each ("fused '<shortcut> + <conv>' (shortcut convolution)").
Expected<std::vector<std::string>> fuse_shortcut_conv(Graph& graph, const ShortcutConvFusable& fusable);

}  // namespace kiln
