// Layout assignment for the CUDA backend: convolutions and pools run channels-last (NHWC), the
// layout tensor cores want, and the tensors between them stay channels-last through the ops that
// do not care about layout (elementwise, fused pointwise chains, channel concats and splits), so
// reformats happen only at the region's boundaries.
//
// The result is still an ordinary graph with ONNX semantics, which the reference backend runs:
//  * a channels-last conv or pool is a kiln.ChannelsLast node wrapping the original op; its
//    weights are stored [K, R, S, C/group];
//  * layout-agnostic ops in the region get physical shapes: their constants are permuted and
//    their axis attributes remapped (a channel Concat becomes a Concat on the last axis);
//  * Transpose nodes convert at the region's boundaries (the "reformats").
// Multi-output fused layers (sibling convolutions merged horizontally) become one output and a
// Split, so kernels see single-output layers.
#pragma once

#include "ir/graph.h"

namespace kiln {

struct LayoutReport {
  int channels_last_layers = 0;  // convs and pools wrapped
  int region_layers = 0;         // layout-agnostic layers kept channels-last
  int reformats = 0;             // Transpose nodes inserted
};

Expected<LayoutReport> assign_channels_last(Graph& graph);

// Splits each multi-output kiln.FusedConv / kiln.FusedMatMul into a single-output layer and a
// Split along the channel axis.
Status split_multi_output_layers(Graph& graph);

}  // namespace kiln
