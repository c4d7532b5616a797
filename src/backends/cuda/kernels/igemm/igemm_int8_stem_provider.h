// The int8 space-to-depth stem (cudnn/space_to_depth_stem.h) on Kiln's int8 implicit GEMM: a
// channels-last kiln.QConv of stride 2 over at most 4 input channels (an RGB stem, which INT8
// quantizes for this provider: quantization/insert_qdq.cc) runs as the blocking kernel into
// workspace, then the implicit GEMM over the blocks read by rows (space_to_depth_row_geometry),
// the layer's quantized epilogue fused. One tactic per block tile; on compute capability 9.0,
// where the layer folds per channel, also the halo tiles of that row form
// (halo_igemm_int8_conv.h, HaloWindow::kStemRows4). Timed against the direct quantized kernel
// (the only other one taking 3 input channels).
#pragma once

#include <vector>

#include "backends/cuda/layer_kernel.h"
#include "ir/graph.h"

namespace kiln::cuda {

const TacticProvider& igemm_int8_stem_provider();

// Whether fuse_stem_max_pool (builder/stem_pool_fusion.h) should join the channels-last kiln.QConv
// `conv` (whose inputs are `inputs` outside its wrapper) and the MaxPool `pool` of its output
// `conv_out` into one layer (a StemPoolFusable), judged on
// the graph's static shapes: an int8 RGB(A) 7x7, stride 2 stem of at most 64 channels and
// 128-pixel output rows, ReLU or no activation, no residual, int8 output, pooled 3x3, stride 2,
// pad 1; the pooled kernel runs it on compute capability 9.0 (the provider checks again, with the
// layer's dims).
bool stem_pool_fusable(const Node& conv, const Node& pool, const std::vector<const Value*>& inputs,
                       const Value& conv_out);

}  // namespace kiln::cuda
