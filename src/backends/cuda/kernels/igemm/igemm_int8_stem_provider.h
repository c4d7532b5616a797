// The int8 space-to-depth stem (cudnn/space_to_depth_stem.h) on Kiln's int8 implicit GEMM: a
// channels-last kiln.QConv of stride 2 over at most 4 input channels (an RGB stem, which INT8
// quantizes for this provider: quantization/insert_qdq.cc) runs as the blocking kernel into
// workspace, then the implicit GEMM over the blocks read by rows (space_to_depth_row_geometry),
// the layer's quantized epilogue fused. One tactic per block tile, timed against the direct
// quantized kernel (the only other one taking 3 input channels).
#pragma once

#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

const TacticProvider& igemm_int8_stem_provider();

}  // namespace kiln::cuda
