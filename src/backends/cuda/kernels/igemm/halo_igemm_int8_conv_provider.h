// The halo-tile int8 3x3 convolution (halo_igemm_int8_conv.h) as a tactic provider: channels-last
// kiln.QConv, group 1, kernel 3x3, stride 1, dilation 1, padding 1 on every side, input channels
// a multiple of 64, output channels a multiple of 16, with the folded epilogue (int8 output, an
// int8 residual or none, ReLU or none, a constant bias); everything else is refused with the
// reason. One tactic per tile whose rows hold a whole output row, on compute capability 9.0 only;
// timed against the implicit GEMM's tiles and the libraries'. The int8 space-to-depth stem's
// provider (igemm_int8_stem_provider.h) runs the same kernel over its row form.
#pragma once

#include <memory>

#include "backends/cuda/cudnn/quantized_layer.h"
#include "backends/cuda/kernels/igemm/halo_igemm_int8_conv.h"
#include "backends/cuda/layer_kernel.h"

namespace kiln::cuda {

const TacticProvider& halo_igemm_int8_conv_provider();

// The kernel running `tile` over `geometry`, the window's convolution (halo_tile_takes must hold),
// with the folded epilogue of the layer `spec` (`params`); X and W are the layer's inputs kQInput
// and kQWeights at enqueue, laid out as `geometry` says.
Expected<std::unique_ptr<LayerKernel>> make_halo_igemm_int8_kernel(const LayerSpec& spec,
                                                                   const QuantizedParams& params,
                                                                   const IgemmInt8Conv& geometry, HaloWindow window,
                                                                   HaloTile tile);

}  // namespace kiln::cuda
