// A 2-D convolution layer as the cuDNN tactics see it: Conv or kiln.FusedConv, channels-last
// (inside kiln.ChannelsLast) or NCHW (left so by the lowering when the weights are not constant),
// an NCHW ConvTranspose, or a channels-last kiln.QConv (int8 X and W, or float8e4m3 for the FP8
// provider); its sizes, resolved pads and the epilogue. Reading it from a LayerSpec is the
// provider's supports(): anything it cannot describe is refused with the reason.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "backends/cuda/conv_geometry32.h"
#include "backends/cuda/cudnn/conv_epilogue.h"
#include "backends/cuda/cudnn/quantized_layer.h"
#include "backends/cuda/layer_kernel.h"
#include "ir/ops/fused_ops.h"

namespace kiln::cuda {

struct ConvProblem {
  DataType dtype = DataType::kUndefined;  // of every tensor of the layer (QConv: of X and W, int8 or E4M3)
  // X, W, Y and Z are [N,H,W,C] / [K,R,S,C/g] when channels-last, else [N,C,H,W] / [K,C/g,R,S].
  bool channels_last = true;
  // ConvTranspose: X [N,C,H,W] is cuDNN's dy, W [C,M/g,R,S] its filter, Y [N,M,OH,OW] its dx.
  // in_channels is C and out_channels M either way.
  bool transposed = false;
  int64_t batch = 0, in_channels = 0, in_h = 0, in_w = 0;
  int64_t out_channels = 0, kernel_h = 0, kernel_w = 0, group = 1;
  int64_t out_h = 0, out_w = 0;
  // Per spatial axis (h, w); pads as resolved from pads/auto_pad, possibly asymmetric.
  std::array<int64_t, 2> stride{}, dilation{}, pad_begin{}, pad_end{};
  bool has_bias = false;      // [K]
  bool has_residual = false;  // FusedConv and QConv: shaped like Y
  int bias_input = 2;         // QConv: 4
  int residual_input = 3;     // QConv: 5
  ActivationSpec activation;
  // QConv: the scales and the residual's and output's types (activation and the has_ flags agree).
  std::optional<QuantizedParams> quant;

  // Whether anything follows the convolution itself.
  bool has_epilogue() const {
    return quant.has_value() || has_bias || has_residual || activation.kind != ActivationKind::kNone;
  }
};

// The problem the layer poses, or unsupported(reason). A kiln.QConv's X and W must be of type
// `quantized_operands` (int8, or float8e4m3 for the FP8 provider).
Expected<ConvProblem> conv_problem(const LayerSpec& spec, DataType quantized_operands = DataType::kInt8);

// The problem's sizes in 32 bits, for Kiln's own kernels; the caller has checked that they fit.
ConvGeometry32 conv_geometry32(const ConvProblem& p);

// A fused layer's activation in the epilogue's terms, or unsupported(reason).
Expected<ActivationSpec> activation_spec(const Activation& act);

// "relu", "clip", "silu", "hardswish", "gated_tanh": the activation's part of tactic names.
std::string activation_slug(const ActivationSpec& act);

}  // namespace kiln::cuda
