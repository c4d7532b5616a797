// A ResNet block's last convolution with its projection shortcut as one layer
// (fuse_shortcut_conv, builder/shortcut_conv_fusion.h): two channels-last kiln.QConv filling the
// same output, the shortcut's float sum being the block convolution's residual, run by the int8
// implicit GEMM's wgmma tiles as one reduction (IgemmShortcut in igemm_int8_conv.h). The layer
// reads the two inputs and writes the output once; the shortcut's int8 tensor (as large as the
// output) is neither written nor read back, and its own layer is gone.
//
// Numerics. The block convolution's sums are rescaled into the shortcut's units and the shortcut's
// steps then add to them: y = sat8(round(acc * s_b / s_y + (bias_a + bias_b) / s_y)), ReLU or
// none, where acc = round(float(acc_a) * (s_a / s_b)) + acc_b and s_a, s_b are the convolutions'
// channel scales (x_scale * w_scale[k]). Against the reference, which runs the body in float, an
// output can differ by one where it lies within a rounding of a half; the shortcut is no longer
// rounded to int8, so the fused layer is the closer of the two to the float network.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/cuda/cudnn/conv_problem.h"
#include "backends/cuda/layer_kernel.h"
#include "ir/graph.h"

namespace kiln::cuda {

const TacticProvider& igemm_int8_shortcut_provider();

// What the fused layer runs: both convolutions and the epilogue in the shortcut's units.
struct ShortcutConvPlan {
  ConvProblem conv, shortcut;
  // Per output channel: the folded scale (s_b / s_y) and shift ((bias_a + bias_b) / s_y), as
  // FoldedEpilogue::scale_shift holds them, and the factor s_a / s_b.
  std::vector<float> scale_shift, rescale;
  bool relu = false;
};

// The plan of the block convolution `conv` (a channels-last kiln.QConv with int8 output and no
// residual of its own) and the `shortcut` convolution (float output, no activation, no residual)
// whose sum becomes its residual, or unsupported(reason): both must run on the implicit GEMM,
// fill the same output pixels and channels, have constant weights and positive shortcut scales,
// and keep every sum inside int32 (bounded from the weights: 128 * sum |w| per channel).
Expected<ShortcutConvPlan> shortcut_conv_plan(const LayerSpec& conv, const LayerSpec& shortcut);

// The shortcut convolution's own spec out of a fused layer's: its op, inputs (from
// shortcut_input_begin on) and its float32 output shaped like the layer's.
LayerSpec shortcut_spec(const LayerSpec& fused);

// Whether fuse_shortcut_conv should join the block convolution `conv` and the convolution
// `shortcut` making its int8 residual (a ShortcutConvFusable), judged on the graph's static shapes:
// the inputs are those outside their wrappers, in each op's order, with the slots the fusion
// drops (conv's residual and its scale, shortcut's output scale) already null. `out` is conv's
// output. The caller fuses on compute capability 9.0 only (the wgmma tiles).
bool shortcut_conv_fusable(const Node& conv, const std::vector<const Value*>& conv_inputs, const Node& shortcut,
                           const std::vector<const Value*>& shortcut_inputs, const Value& out);

}  // namespace kiln::cuda
