// The halo-tile int8 3x3 convolution (halo_igemm_int8_conv.h) as a tactic provider: channels-last
// kiln.QConv, group 1, kernel 3x3, stride 1, dilation 1, padding 1 on every side, input channels
// a multiple of 64, output channels a multiple of 16, with the folded epilogue (int8 output, an
// int8 residual or none, ReLU or none, a constant bias); everything else is refused with the
// reason. One tactic per tile whose rows hold a whole output row, on compute capability 9.0 only;
// timed against the implicit GEMM's tiles and the libraries'.
#pragma once

#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

const TacticProvider& halo_igemm_int8_conv_provider();

}  // namespace kiln::cuda
