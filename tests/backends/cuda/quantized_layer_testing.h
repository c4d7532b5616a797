// Test helpers for kiln.QConv and kiln.QMatMul on the GPU: the layers' expected values built
// independently of Kiln's quantized code (the float reference Conv/MatMul on the integer values,
// exact for these sizes, then the epilogue of docs/architecture.md "Quantized layers" written out
// here), the comparison the quantized outputs are held to, and a CUDA-graph capture check.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/layer_kernel.h"
#include "core/tensor.h"
#include "gpu_layer_runner.h"
#include "ir/graph.h"
#include "ir/ops/fused_ops.h"

namespace kiln::testing {


// What follows the int8 product, and the layer's scales.
struct QuantizedCase {
  float x_scale = 0.02f;
  std::vector<float> w_scale;  // one per output channel
  bool bias = true;
  DataType residual = DataType::kUndefined;  // int8, a float type, or none
  float z_scale = 0.05f;
  Activation activation;
  DataType output = DataType::kInt8;  // int8 (with y_scale) or a float type
  float y_scale = 0.1f;
};

// The layer's inputs 2.. (x_scale, w_scale, B, Z, z_scale, y_scale; undefined where absent), for
// an output of `y_dims` with the channel on `channel_axis`; Z is random in the residual's type.
std::vector<Tensor> quantized_layer_inputs(const QuantizedCase& c, const std::vector<int64_t>& y_dims, unsigned seed);

// The expected output from the exact accumulators `acc` (float32, channel on `channel_axis`) and
// the layer's inputs 2.. as quantized_layer_inputs gave them (Z in the accumulators' layout).
Tensor expected_quantized_output(const QuantizedCase& c, const Tensor& acc, int channel_axis,
                                 const std::vector<Tensor>& tail);

// int8: at most one quantization step apart (rounding ties) and at least 99% exact; float types:
// relative L2 error at most 1e-3.
void expect_quantized_match(const Tensor& actual, const Tensor& expected, const std::string& what);

// The provider of that name among all_providers() (a test failure when there is none).
const cuda::TacticProvider& provider_named(std::string_view name);

// Every tactic of every provider supporting `spec` matches `expected` (expect_quantized_match).
// The direct provider always supports the layer; the library provider `library` (cudnn_conv,
// cublaslt_qmatmul) does unless `library_refuses`, when its reason names the multiples of 4;
// when it does, at least one of its tactics ran.
void expect_every_quantized_tactic_matches(const cuda::LayerSpec& spec, const std::vector<Tensor>& inputs,
                                           const Tensor& expected, std::string_view library, bool library_refuses);

// FP8 layers (float8e4m3 X and W, float output): `library` (cublaslt_fp8_matmul) supports the
// layer, Kiln's direct int8 kernel refuses it, and every tactic of every supporting provider
// matches `expected` (the reference kernel's output: exact sums rounded once) within
// expect_quantized_match's float bound. The E4M3 products are exact on both sides, so only the
// GPU's accumulation differs: FP32 sums (cuBLASLt promotes the tensor cores' partial sums without
// "fast accumulation") are within about 2^-14 of the exact ones relative to the largest partial
// sum, far under 1e-3; a float16 output adds its own rounding (2^-11 relative).
void expect_every_fp8_tactic_matches(const cuda::LayerSpec& spec, const std::vector<Tensor>& inputs,
                                     const Tensor& expected, std::string_view library);

// Random E4M3 codes over the whole finite range (NaN's two codes excluded).
Tensor random_e4m3(std::vector<int64_t> dims, unsigned seed);

// A quantized layer ready to run: its node, inputs (physical dims), spec and expected output.
struct QuantizedLayer {
  std::unique_ptr<OwnedNode> node;
  std::vector<Tensor> inputs;
  cuda::LayerSpec spec;
  Tensor expected;
};

// Runs `tactic` of `provider` on `layer` directly and replayed from a CUDA graph: the direct output
// must match layer.expected (expect_quantized_match) and the replay be bit-identical to it. Returns
// the direct output, undefined where the tactic did not run (a test failure).
Tensor expect_tactic_matches_and_replays(const cuda::TacticProvider& provider, const cuda::Tactic& tactic,
                                         const QuantizedLayer& layer);

// An FP8 layer's case: per-channel weight scales of the size calibration gives (max|w|/448) and
// a float output.
QuantizedCase fp8_case(int64_t channels, DataType output);

// A channels-last kiln.QConv: random X [n, h, w, c] (NHWC), W [k, r, r, c / group], square
// stride and dilation, symmetric pads; expected is the reference kernel's output on the NCHW
// forms, made NHWC. X and W are E4M3 (fp8_qconv) or int8 (int8_qconv).
struct QConvShape {
  int64_t n = 1, h = 1, w = 1, c = 16, k = 16, r = 1, stride = 1, pad = 0, dilation = 1, group = 1;
};
using Fp8ConvShape = QConvShape;
QuantizedLayer fp8_qconv(const QConvShape& shape, const QuantizedCase& q);
QuantizedLayer int8_qconv(const QConvShape& shape, const QuantizedCase& q);

// Every tactic `provider` offers for `layer` matches layer.expected (expect_quantized_match), run
// directly, and its CUDA-graph replay is bit-identical; every name starts with `prefix`. The names
// run, so callers can count them; empty where the provider gives no tactics (a test failure).
std::vector<std::string> expect_provider_tactics_match(const cuda::TacticProvider& provider,
                                                       const QuantizedLayer& layer, std::string_view prefix);

// How many of the int8 implicit GEMM's tiles (kIgemmTiles) the test device runs: the tactics its
// providers must offer (the wgmma tiles too on an H100 or H200).
size_t igemm_tiles_on_test_device();

// Random int8 values in [-127, 127].
Tensor random_int8(std::vector<int64_t> dims, unsigned seed);

// The layer's attributes beyond the op's own: the activation epilogue and output_dtype.
void add_epilogue_attrs(const QuantizedCase& c, std::map<std::string, Attribute>& attrs);


}  // namespace kiln::testing
