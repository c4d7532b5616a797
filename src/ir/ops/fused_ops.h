// Kiln's own fused ops (domain "kiln"), which only the optimization passes create:
//   kiln.FusedConv    Conv [+ residual] [+ activation]; inputs X, W, B?, Z? (Z: residual, shaped
//                     like the convolution's output). With `output_channels` the layer has one
//                     output per channel slice (sibling convolutions merged horizontally).
//   kiln.FusedMatMul  MatMul [+ bias along the last axis] [+ residual] [+ activation]; inputs A,
//                     B, bias?, Z?. With `output_channels`: one output per slice of the last axis.
//   kiln.Pointwise    a chain of elementwise ops as one layer; attribute `body` holds the
//                     original nodes as a graph whose formal inputs and outputs are the layer's.
//   kiln.ChannelsLast one op (Conv, FusedConv, a pool, ...) run on channels-last tensors: `body`
//                     holds the op as a one-node graph on the usual [N, C, spatial...] tensors;
//                     inputs flagged in `nhwc_inputs` and every output are [N, spatial..., C].
//                     The CUDA lowering makes these (src/builder/layout_assignment.h). Two
//                     ops only where a CUDA fusion joined layers: a conv and the MaxPool of its
//                     output (stem_pool_fusion.h), a kiln.QConv with a float output and the
//                     kiln.QConv adding it as residual (shortcut_conv_fusion.h).
//   kiln.QConv        a quantized convolution: int8 X and constant int8 W (per-output-channel
//                     scales) accumulated exactly in int32, then the float epilogue (scales, bias,
//                     residual, activation) and an optional int8 output. kiln.QMatMul is the same
//                     over a MatMul with a constant [K, N] matrix. Inputs: see QuantizedInput.
//                     The fuse_qdq pass makes them from DequantizeLinear -> layer -> QuantizeLinear.
//   kiln.QGlobalAveragePool  GlobalAveragePool of a per-tensor quantized tensor, written as float:
//                     inputs x (int8 or uint8, [N, C, spatial...]), x_scale (float32 scalar),
//                     x_zero_point? (x's type, scalar), as DequantizeLinear's; the output
//                     [N, C, 1...] is the attribute `output_dtype` (an ONNX element type: float32,
//                     float16 or bfloat16). It is DequantizeLinear then GlobalAveragePool, which
//                     the fuse_dequantize_global_pool pass replaces by it, so a kernel reads the
//                     8-bit tensor once: mean(x_scale * (x - zp)) = x_scale * (mean(x) - zp).
//   kiln.QuantizeTranspose  QuantizeLinear with a per-tensor scale (and zero point), its output
//                     transposed by `perm`: inputs x, scale, zero_point?, as QuantizeLinear's.
//                     The CUDA lowering makes it from QuantizeLinear -> layout reformat
//                     (src/passes/fuse_quantize_transpose.cc), so one kernel reads the float
//                     tensor and writes the quantized one in the other layout.
// The fused layers end with an epilogue: y += Z, then y = act(y) (see Activation).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "ir/graph.h"

namespace kiln {

inline constexpr std::string_view kKilnDomain = "kiln";
inline constexpr std::string_view kFusedConvOp = "FusedConv";
inline constexpr std::string_view kFusedMatMulOp = "FusedMatMul";
inline constexpr std::string_view kPointwiseOp = "Pointwise";
inline constexpr std::string_view kChannelsLastOp = "ChannelsLast";
inline constexpr std::string_view kQConvOp = "QConv";
inline constexpr std::string_view kQMatMulOp = "QMatMul";
inline constexpr std::string_view kQuantizeTransposeOp = "QuantizeTranspose";
inline constexpr std::string_view kQGlobalAveragePoolOp = "QGlobalAveragePool";

// Input slots of kiln.QConv and kiln.QMatMul. y = activation(acc * (x_scale * w_scale[k]) + B[k]
// + (Z int8 ? Z * z_scale : Z)), quantized to int8 with y_scale when that input is present, else
// stored as the attribute `output_dtype` (an ONNX element type: float32, float16 or bfloat16).
enum QuantizedInput : int {
  kQInput = 0,          // int8 X (NCHW) or A [..., M, K]
  kQWeights = 1,        // constant int8 W [K, C/group, k...] or B [K, N]
  kQInputScale = 2,     // float32 scalar
  kQWeightScale = 3,    // float32, one per output channel (W's axis 0, B's axis 1)
  kQBias = 4,           // optional float32, one per output channel
  kQResidual = 5,       // optional, shaped like Y: int8, or float32/float16/bfloat16
  kQResidualScale = 6,  // float32 scalar, present iff the residual is int8
  kQOutputScale = 7,    // float32 scalar, present iff Y is int8
};

// The activation that ends a fused layer, as attributes `activation` (an ONNX op name, "" for
// none), `activation_alpha`, `activation_beta` and `activation_gated`. alpha and beta are the op's
// own attributes (LeakyRelu/Elu alpha, HardSigmoid alpha and beta, Clip's bounds min and max).
// Gated means y * act(y): SiLU is gated Sigmoid, opset-13 HardSwish is gated HardSigmoid.
struct Activation {
  std::string op;
  float alpha = 0.f;
  float beta = 0.f;
  bool gated = false;

  bool none() const { return op.empty(); }
  // "Relu", "Clip(0, 6)", "SiLU", "x * Tanh(x)": for reports.
  std::string describe() const;
};

// The activation a node computes on its input 0, when it is one a fused layer can end with
// (Clip only with constant bounds, Gelu only exact).
std::optional<Activation> activation_of_node(const Node& node);
// The activation a fused node's attributes describe.
Activation activation_of_fused(const Node& fused);
// Writes the activation attributes.
void set_activation_attrs(Node& fused, const Activation& act);
// A detached node computing the activation (not gated) with the registered kernel's attributes:
// what the reference kernels of the fused ops run.
Node activation_node(const Activation& act);

// Whether `first` and `second` are a fused shortcut convolution's body (shortcut_conv_fusion.h):
// two kiln.QConv, the second adding the first's output as its residual.
bool is_shortcut_conv_pair(const Node& first, const Node& second);

// A node outside any graph, with its schema set and attribute defaults filled in, for running a
// registered kernel on tensors that are not graph values (fused kernels compose the kernels of
// the ops they replaced; passes compute constants).
Node standalone_node(std::string op_type, int opset, std::map<std::string, Attribute> attrs = {});

}  // namespace kiln
