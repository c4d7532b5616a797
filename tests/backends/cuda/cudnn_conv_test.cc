// The cuDNN convolution provider (Conv and kiln.FusedConv, channels-last or NCHW; NCHW
// ConvTranspose) and Kiln's depthwise convolution against the reference kernels of the NCHW ops:
// every tactic of every supporting provider must match.
#include <map>
#include <string>
#include <vector>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cudnn/conv_tactics.h"
#include "backends/cuda/device_context.h"
#include "backends/cuda/layer_kernel.h"
#include "gpu_layer_runner.h"
#include "gtest/gtest.h"
#include "ir/op_schema.h"
#include "ir/ops/fused_ops.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::convert;
using testing::from_channels_last;
using testing::NodeSpec;
using testing::to_channels_last;

const cuda::TacticProvider& cudnn_conv() { return *cuda::cudnn_providers().at(0); }
const cuda::TacticProvider& space_to_depth_conv() { return *cuda::cudnn_providers().at(1); }
const cuda::TacticProvider& depthwise_conv() { return *cuda::cudnn_providers().at(3); }

struct Precision {
  std::string name;
  DataType dtype;
  bool allow_tf32;
  double tolerance;  // relative error against the FP32 reference
};

const Precision kFp32{"fp32", DataType::kFloat32, false, 1e-5};
const Precision kTf32{"tf32", DataType::kFloat32, true, 3e-3};
const Precision kFp16{"fp16", DataType::kFloat16, false, 1e-2};
const Precision kBf16{"bf16", DataType::kBFloat16, false, 2e-2};
const Precision kAllPrecisions[] = {kFp32, kTf32, kFp16, kBf16};

// X [n, c, h, w], W [k, c / group, r, s]; stride 1, no padding, no dilation, with a bias unless
// the with_* modifiers say otherwise.
struct ConvCase {
  std::string name;
  int64_t n, c, h, w, k, r, s;
  std::vector<int64_t> strides = {1, 1};
  std::vector<int64_t> pads = {0, 0, 0, 0};
  std::vector<int64_t> dilations = {1, 1};
  int64_t group = 1;
  bool bias = true;
  std::string auto_pad;  // empty: explicit pads

  ConvCase(std::string name_, int64_t n_, int64_t c_, int64_t h_, int64_t w_, int64_t k_, int64_t r_, int64_t s_)
      : name(std::move(name_)), n(n_), c(c_), h(h_), w(w_), k(k_), r(r_), s(s_) {}
  ConvCase with_stride(int64_t v) const { return with([&](ConvCase& x) { x.strides = {v, v}; }); }
  ConvCase with_pad(int64_t v) const { return with([&](ConvCase& x) { x.pads = {v, v, v, v}; }); }
  ConvCase with_dilation(int64_t v) const { return with([&](ConvCase& x) { x.dilations = {v, v}; }); }
  ConvCase with_group(int64_t v) const { return with([&](ConvCase& x) { x.group = v; }); }
  ConvCase with_auto_pad(std::string v) const { return with([&](ConvCase& x) { x.auto_pad = v; }); }
  ConvCase without_bias() const { return with([](ConvCase& x) { x.bias = false; }); }

 private:
  template <class F>
  ConvCase with(F f) const {
    ConvCase copy = *this;
    f(copy);
    return copy;
  }
};

// What follows a FusedConv's convolution.
struct Epilogue {
  std::string name;
  bool bias;
  bool residual;
  Activation activation;
  bool cudnn_has_mode;  // false: only the "_kepilogue" tactics can run it

  Epilogue(std::string name_, bool bias_, bool residual_, Activation activation_, bool cudnn_has_mode_ = true)
      : name(std::move(name_)), bias(bias_), residual(residual_), activation(std::move(activation_)),
        cudnn_has_mode(cudnn_has_mode_) {}
};

NodeSpec node_spec(std::string op_type, std::map<std::string, Attribute> attrs, std::string domain = "") {
  NodeSpec spec;
  spec.op_type = std::move(op_type);
  spec.attrs = std::move(attrs);
  spec.domain = std::move(domain);
  return spec;
}

std::map<std::string, Attribute> conv_attrs(const ConvCase& c) {
  std::map<std::string, Attribute> attrs = {{"strides", Attribute::of_ints(c.strides)},
                                            {"dilations", Attribute::of_ints(c.dilations)},
                                            {"group", Attribute::of_int(c.group)}};
  if (c.auto_pad.empty()) attrs["pads"] = Attribute::of_ints(c.pads);
  else attrs["auto_pad"] = Attribute::of_string(c.auto_pad);
  return attrs;
}

NodeSpec conv_spec(const ConvCase& c) { return node_spec("Conv", conv_attrs(c)); }

NodeSpec fused_conv_spec(const ConvCase& c, const Activation& act) {
  NodeSpec spec = node_spec(std::string(kFusedConvOp), conv_attrs(c), std::string(kKilnDomain));
  spec.attrs["activation"] = Attribute::of_string(act.op);
  spec.attrs["activation_alpha"] = Attribute::of_float(act.alpha);
  spec.attrs["activation_beta"] = Attribute::of_float(act.beta);
  spec.attrs["activation_gated"] = Attribute::of_int(act.gated ? 1 : 0);
  return spec;
}

// The op as the builder hands it to providers: in a graph, schema set, attribute defaults filled.
Node* add_op_node(Graph& g, const NodeSpec& spec, const std::vector<Tensor>& inputs) {
  Node* n = g.add_node(spec.op_type, spec.op_type, spec.domain, spec.opset);
  const OpSchema* schema = OpRegistry::global().find(spec.op_type, spec.domain);
  EXPECT_NE(schema, nullptr) << spec.op_type;
  n->set_schema(schema);
  for (size_t i = 0; i < inputs.size(); ++i)
    n->inputs().push_back(inputs[i].defined() ? g.get_or_add_value("in" + std::to_string(i)) : nullptr);
  n->outputs().push_back(g.get_or_add_value("out0"));
  n->attrs() = spec.attrs;
  if (schema != nullptr) {
    const Status s = schema->check_and_fill_defaults(*n);
    EXPECT_TRUE(s.ok()) << s.to_string();
  }
  return n;
}

// The spec of the layer on `gpu_inputs` (X, W, B?, Z? in physical layout). A channels-last layer
// has constant weights; an NCHW one gets them at run time (the lowering leaves a convolution NCHW
// when its weights are a graph input).
cuda::LayerSpec layer_spec(const Node& node, const std::vector<Tensor>& gpu_inputs, const std::vector<int64_t>& y_dims,
                           const Precision& prec, bool channels_last) {
  cuda::LayerSpec spec = testing::make_spec(node, gpu_inputs, {y_dims}, {prec.dtype},
                                            channels_last ? std::vector<int>{1} : std::vector<int>{});
  spec.channels_last = channels_last;
  if (channels_last) spec.input_nhwc = {true, true, false, true};
  spec.allow_tf32 = prec.allow_tf32;
  return spec;
}

std::vector<int64_t> nhwc_dims(const std::vector<int64_t>& nchw) { return {nchw[0], nchw[2], nchw[3], nchw[1]}; }

// Random FP32 values already rounded to `dtype`, so the reference sees exactly what the GPU does.
Tensor random_input(DataType dtype, std::vector<int64_t> dims, unsigned seed) {
  return convert(convert(testing::random_tensor(DataType::kFloat32, std::move(dims), -1.f, 1.f, seed), dtype),
                 DataType::kFloat32);
}

Tensor to_gpu_layout(const Tensor& t, DataType dtype, bool channels_last) {
  if (!t.defined()) return Tensor();
  const Tensor converted = convert(t, dtype);
  return channels_last ? to_channels_last(converted) : converted;
}

// Runs the layer (channels-last or NCHW) through every tactic and compares each with the
// reference of the NCHW op. `epilogue` null: a plain Conv (with bias when the case says so).
void check_layer(const ConvCase& c, const Precision& prec, const Epilogue* epilogue, bool channels_last = true) {
  const bool fused = epilogue != nullptr;
  const bool has_bias = fused ? epilogue->bias : c.bias;
  const Tensor x = random_input(prec.dtype, {c.n, c.c, c.h, c.w}, 1);
  const Tensor w = random_input(prec.dtype, {c.k, c.c / c.group, c.r, c.s}, 2);
  const Tensor b = has_bias ? random_input(prec.dtype, {c.k}, 3) : Tensor();
  // The output dims, from the reference convolution itself.
  auto plain = testing::run_node(conv_spec(c), {x, w});
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  const std::vector<int64_t> y_dims = (*plain)[0].dims();
  const Tensor z = fused && epilogue->residual ? random_input(prec.dtype, y_dims, 4) : Tensor();

  const NodeSpec spec = fused ? fused_conv_spec(c, epilogue->activation) : conv_spec(c);
  std::vector<Tensor> ref_inputs = {x, w, b};
  if (fused) ref_inputs.push_back(z);
  auto expected = testing::run_node(spec, ref_inputs);
  ASSERT_TRUE(expected.ok()) << expected.status().to_string();

  std::vector<Tensor> gpu_inputs = {to_gpu_layout(x, prec.dtype, channels_last),
                                    to_gpu_layout(w, prec.dtype, channels_last), to_gpu_layout(b, prec.dtype, false)};
  if (fused) gpu_inputs.push_back(to_gpu_layout(z, prec.dtype, channels_last));
  Graph g;
  const Node* node = add_op_node(g, spec, gpu_inputs);
  const cuda::LayerSpec layer =
      layer_spec(*node, gpu_inputs, channels_last ? nhwc_dims(y_dims) : y_dims, prec, channels_last);
  const Status supported = cudnn_conv().supports(layer);
  ASSERT_TRUE(supported.ok()) << supported.to_string();
  // The depthwise provider takes exactly the channels-last layers whose every channel is its own
  // group, with kernels up to 7x7.
  const bool depthwise = channels_last && c.group == c.c && c.k == c.c && c.r <= 7 && c.s <= 7;
  const Status depthwise_supported = depthwise_conv().supports(layer);
  EXPECT_EQ(depthwise_supported.ok(), depthwise) << depthwise_supported.to_string();

  KILN_REQUIRE_GPU();
  auto runs = testing::run_all_tactics(layer, gpu_inputs);
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  int cudnn_runs = 0, space_to_depth_runs = 0, depthwise_runs = 0;
  for (const testing::TacticRun& run : *runs) {
    if (run.provider == space_to_depth_conv().name()) ++space_to_depth_runs;
    if (run.provider == depthwise_conv().name()) ++depthwise_runs;
    const Tensor y = channels_last ? from_channels_last(run.outputs[0]) : run.outputs[0];
    EXPECT_LE(testing::relative_error(y, (*expected)[0]), prec.tolerance) << run.provider << " tactic " << run.tactic;
    if (run.provider != cudnn_conv().name()) continue;
    ++cudnn_runs;
    EXPECT_EQ(run.tactic.rfind(channels_last ? "cudnn_conv_nhwc_" : "cudnn_conv_nchw_", 0), 0u) << run.tactic;
    if (fused && !epilogue->cudnn_has_mode) {
      EXPECT_NE(run.tactic.find("_kepilogue#e"), std::string::npos) << run.tactic;
    }
  }
  EXPECT_GT(cudnn_runs, 0) << "no cuDNN tactic ran";
  // A layer the space-to-depth stem takes must get tactics from it too, each checked above.
  if (space_to_depth_conv().supports(layer).ok()) {
    EXPECT_GT(space_to_depth_runs, 0) << "no space-to-depth tactic ran";
  }
  if (depthwise) {
    EXPECT_GT(depthwise_runs, 0) << "no depthwise tactic ran";
  }
}

// ---- Conv geometries, each in every precision.

const ConvCase kGeometries[] = {
    ConvCase("conv3x3_s1_p1", 1, 8, 10, 10, 16, 3, 3).with_pad(1),
    ConvCase("conv3x3_s2_batch5", 5, 6, 11, 9, 10, 3, 3).with_stride(2).with_pad(1).without_bias(),
    ConvCase("conv1x1_batch5", 5, 16, 7, 7, 24, 1, 1),
    ConvCase("resnet_stem_7x7_s2_p3", 1, 3, 32, 32, 16, 7, 7).with_stride(2).with_pad(3),
    // Few-channel stride-2 layers the space-to-depth stem also runs: odd sizes and pads, a
    // one-channel input, an even kernel, asymmetric SAME padding.
    ConvCase("stem_3x3_s2_p1_c1_odd", 3, 1, 15, 17, 8, 3, 3).with_stride(2).with_pad(1),
    ConvCase("stem_4x4_s2_p0_c4", 2, 4, 12, 10, 16, 4, 4).with_stride(2).without_bias(),
    ConvCase("stem_5x5_s2_same_upper_c3", 1, 3, 14, 13, 8, 5, 5).with_stride(2).with_auto_pad("SAME_UPPER"),
    ConvCase("depthwise3x3", 2, 16, 12, 12, 16, 3, 3).with_pad(1).with_group(16),
    ConvCase("depthwise3x3_s2", 1, 24, 9, 9, 24, 3, 3).with_stride(2).with_pad(1).with_group(24),
    // Kiln's depthwise kernel: 16-byte channel vectors (C a multiple of 8) or single channels (C
    // odd), output widths that leave partial pixel groups, every kernel size up to 7x7.
    ConvCase("depthwise5x5_c40", 2, 40, 11, 13, 40, 5, 5).with_pad(2).with_group(40),
    ConvCase("depthwise3x3_c13_odd", 3, 13, 10, 7, 13, 3, 3).with_pad(1).with_group(13),
    ConvCase("depthwise3x3_c5_odd_s2", 2, 5, 12, 11, 5, 3, 3).with_stride(2).with_pad(1).with_group(5).without_bias(),
    ConvCase("depthwise3x3_dilation2", 1, 16, 13, 11, 16, 3, 3).with_pad(2).with_dilation(2).with_group(16),
    ConvCase("depthwise7x7_s2_p3", 1, 8, 15, 14, 8, 7, 7).with_stride(2).with_pad(3).with_group(8),
    ConvCase("depthwise3x5_nopad", 2, 24, 9, 10, 24, 3, 5).with_group(24),
    // The 3x3 kernel's row and pixel tiles: heights and widths that leave partial tiles at stride
    // 2, and no padding (the window never leaves the input).
    ConvCase("depthwise3x3_c32_s2_odd_hw", 2, 32, 13, 11, 32, 3, 3).with_stride(2).with_pad(1).with_group(32),
    ConvCase("depthwise3x3_c16_nopad_h7", 1, 16, 7, 10, 16, 3, 3).with_group(16),
    // Two output channels per group: cuDNN's, not the depthwise kernel's.
    ConvCase("depthwise_multiplier2", 1, 8, 9, 9, 16, 3, 3).with_pad(1).with_group(8),
    ConvCase("grouped_g4", 2, 16, 8, 8, 24, 3, 3).with_pad(1).with_group(4),
    ConvCase("dilation2", 1, 8, 13, 13, 8, 3, 3).with_pad(2).with_dilation(2).without_bias(),
    ConvCase("odd_channels_c3_k13", 5, 3, 9, 9, 13, 3, 3).with_pad(1),
    // SAME_UPPER with stride 2 on an even size pads 0 before and 1 after: asymmetric.
    ConvCase("same_upper_s2_asymmetric", 1, 8, 8, 8, 8, 3, 3).with_stride(2).with_auto_pad("SAME_UPPER"),
};

struct GeometryParam {
  ConvCase conv;
  Precision precision;
};

std::vector<GeometryParam> geometry_params() {
  std::vector<GeometryParam> params;
  for (const ConvCase& c : kGeometries)
    for (const Precision& p : kAllPrecisions) params.push_back({c, p});
  return params;
}

class CudnnConvGeometryTest : public ::testing::TestWithParam<GeometryParam> {};

TEST_P(CudnnConvGeometryTest, MatchesReference) { check_layer(GetParam().conv, GetParam().precision, nullptr); }

INSTANTIATE_TEST_SUITE_P(Cases, CudnnConvGeometryTest, ::testing::ValuesIn(geometry_params()),
                         [](const ::testing::TestParamInfo<GeometryParam>& info) {
                           return info.param.conv.name + "_" + info.param.precision.name;
                         });

// ---- FusedConv epilogues.

Activation activation(std::string op, float alpha = 0.f, float beta = 0.f, bool gated = false) {
  return Activation{std::move(op), alpha, beta, gated};
}

const Epilogue kRelu("bias_add_relu", true, true, activation("Relu"));
const Epilogue kRelu6("bias_add_clip0_6", true, true, activation("Clip", 0.f, 6.f));
const Epilogue kSilu("bias_add_silu", true, true, activation("Sigmoid", 0.f, 0.f, true));
const Epilogue kHardSwish("bias_add_hardswish", true, true, activation("HardSigmoid", 1.f / 6, 0.5f, true), false);
const Epilogue kGelu("bias_add_gelu", true, true, activation("Gelu"));
const Epilogue kLeakyRelu("bias_add_leakyrelu", true, true, activation("LeakyRelu", 0.1f));
const Epilogue kTanh("bias_add_tanh", true, true, activation("Tanh"));
// A lower bound other than 0 only Kiln's epilogue kernel runs.
const Epilogue kClipSymmetric("bias_add_clip_sym", true, true, activation("Clip", -0.5f, 0.5f), false);
const Epilogue kHardSigmoid("bias_add_hardsigmoid", true, true, activation("HardSigmoid", 0.2f, 0.5f), false);
const Epilogue kBiasRelu("bias_relu", true, false, activation("Relu"));
const Epilogue kResidualOnly("add", false, true, activation(""));

const ConvCase kFusedGeometry = ConvCase("fused3x3", 2, 12, 9, 9, 20, 3, 3).with_pad(1);

struct FusedParam {
  Epilogue epilogue;
  Precision precision;
};

std::vector<FusedParam> fused_params() {
  std::vector<FusedParam> params;
  for (const Epilogue& e : {kRelu, kRelu6, kSilu, kHardSwish, kGelu})
    for (const Precision& p : kAllPrecisions) params.push_back({e, p});
  for (const Epilogue& e : {kLeakyRelu, kTanh, kClipSymmetric, kHardSigmoid, kBiasRelu, kResidualOnly})
    for (const Precision& p : {kFp32, kFp16}) params.push_back({e, p});
  return params;
}

class CudnnFusedConvTest : public ::testing::TestWithParam<FusedParam> {};

TEST_P(CudnnFusedConvTest, MatchesReference) { check_layer(kFusedGeometry, GetParam().precision, &GetParam().epilogue); }

INSTANTIATE_TEST_SUITE_P(Epilogues, CudnnFusedConvTest, ::testing::ValuesIn(fused_params()),
                         [](const ::testing::TestParamInfo<FusedParam>& info) {
                           return info.param.epilogue.name + "_" + info.param.precision.name;
                         });

// Depthwise with the MobileNet epilogue (bias + ReLU6), FP16.
TEST(CudnnFusedConvTest, DepthwiseRelu6) {
  const ConvCase depthwise = ConvCase("dw", 1, 32, 14, 14, 32, 3, 3).with_pad(1).with_group(32);
  const Epilogue relu6("bias_clip0_6", true, false, activation("Clip", 0.f, 6.f));
  check_layer(depthwise, kFp16, &relu6);
}

// MobileNet's depthwise layers with their epilogues, on the vector (C = 32) and the single-channel
// (C = 7) paths of Kiln's depthwise kernel; check_layer asserts that its tactics ran.
struct DepthwiseFusedParam {
  ConvCase conv;
  Epilogue epilogue;
  Precision precision;
};

std::vector<DepthwiseFusedParam> depthwise_fused_params() {
  const ConvCase geometries[] = {
      ConvCase("c32_s1", 2, 32, 14, 13, 32, 3, 3).with_pad(1).with_group(32),
      ConvCase("c7_s2", 3, 7, 11, 12, 7, 3, 3).with_stride(2).with_pad(1).with_group(7),
  };
  const Epilogue bias_relu6("bias_clip0_6", true, false, activation("Clip", 0.f, 6.f));
  std::vector<DepthwiseFusedParam> params;
  for (const ConvCase& c : geometries) {
    for (const Epilogue& e : {bias_relu6, kRelu6, kResidualOnly})
      for (const Precision& p : {kFp32, kFp16, kBf16}) params.push_back({c, e, p});
    for (const Epilogue& e : {kHardSwish, kClipSymmetric}) params.push_back({c, e, kFp16});
  }
  return params;
}

class DepthwiseFusedConvTest : public ::testing::TestWithParam<DepthwiseFusedParam> {};

TEST_P(DepthwiseFusedConvTest, MatchesReference) {
  check_layer(GetParam().conv, GetParam().precision, &GetParam().epilogue);
}

INSTANTIATE_TEST_SUITE_P(Epilogues, DepthwiseFusedConvTest, ::testing::ValuesIn(depthwise_fused_params()),
                         [](const ::testing::TestParamInfo<DepthwiseFusedParam>& info) {
                           return info.param.conv.name + "_" + info.param.epilogue.name + "_" +
                                  info.param.precision.name;
                         });

// What the depthwise kernel does not run it refuses with the reason (the shapes need no GPU).
TEST(DepthwiseConvProvider, RefusesOtherConvolutions) {
  auto refusal = [](const ConvCase& c, const std::vector<int64_t>& y_nchw) {
    const Tensor x = to_gpu_layout(random_input(DataType::kFloat16, {c.n, c.c, c.h, c.w}, 1), DataType::kFloat16, true);
    const Tensor w =
        to_gpu_layout(random_input(DataType::kFloat16, {c.k, c.c / c.group, c.r, c.s}, 2), DataType::kFloat16, true);
    Graph g;
    const Node* node = add_op_node(g, conv_spec(c.without_bias()), {x, w});
    return depthwise_conv().supports(layer_spec(*node, {x, w}, nhwc_dims(y_nchw), kFp16, true));
  };
  const Status large = refusal(ConvCase("dw9x9", 1, 8, 12, 12, 8, 9, 9).with_group(8), {1, 8, 4, 4});
  EXPECT_EQ(large.code(), StatusCode::kUnsupported) << large.to_string();
  EXPECT_NE(large.to_string().find("up to 7x7"), std::string::npos) << large.to_string();
  const Status multiplier = refusal(ConvCase("dw_x2", 1, 8, 6, 6, 16, 3, 3).with_group(8), {1, 16, 4, 4});
  EXPECT_EQ(multiplier.code(), StatusCode::kUnsupported) << multiplier.to_string();
  EXPECT_NE(multiplier.to_string().find("not a depthwise"), std::string::npos) << multiplier.to_string();
  const Status dense = refusal(ConvCase("dense", 1, 8, 6, 6, 8, 3, 3), {1, 8, 4, 4});
  EXPECT_EQ(dense.code(), StatusCode::kUnsupported) << dense.to_string();
  EXPECT_NE(dense.to_string().find("not a depthwise"), std::string::npos) << dense.to_string();
}

// The ResNet stem as the builder fuses it (bias + ReLU) on an odd-sized batch, FP16.
TEST(CudnnFusedConvTest, SpaceToDepthStemBiasRelu) {
  const ConvCase stem = ConvCase("stem", 2, 3, 37, 41, 24, 7, 7).with_stride(2).with_pad(3);
  check_layer(stem, kFp16, &kBiasRelu);
  check_layer(stem, kFp32, &kRelu);
}

// ResNet's bottleneck 1x1 with bias, residual and ReLU: cuDNN and cuBLASLt (as one GEMM) both run
// it, and every tactic of both is checked.
TEST(CudnnFusedConvTest, PointwiseBiasResidualReluAlsoOnCublasLt) {
  const ConvCase pointwise = ConvCase("pw", 3, 24, 7, 9, 40, 1, 1);
  const cuda::TacticProvider& gemm = *cuda::cublaslt_providers().at(0);
  for (const Precision& p : {kFp32, kTf32, kFp16, kBf16}) {
    SCOPED_TRACE(p.name);
    check_layer(pointwise, p, &kRelu);
  }
  // The GEMM takes only what is one GEMM: not a strided or a 3x3 convolution.
  // (random_input rounds to float16 but returns float32: convert, so the refusal is the 3x3's.)
  Graph g;
  const Tensor x = convert(to_channels_last(random_input(DataType::kFloat16, {1, 8, 6, 6}, 1)), DataType::kFloat16);
  const Tensor w = convert(to_channels_last(random_input(DataType::kFloat16, {8, 8, 3, 3}, 2)), DataType::kFloat16);
  const Node* node = add_op_node(g, conv_spec(ConvCase("c3", 1, 8, 6, 6, 8, 3, 3).without_bias()), {x, w});
  const Status s = gemm.supports(layer_spec(*node, {x, w}, {1, 4, 4, 8}, kFp16, true));
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  EXPECT_NE(s.message().find("1x1"), std::string::npos) << s.to_string();
}

// ---- NCHW layers: weights that are not constant (a graph input) arrive at run time.

struct NchwParam {
  std::string name;
  ConvCase conv;
  const Epilogue* epilogue;  // null: a plain Conv
  Precision precision;
};

std::vector<NchwParam> nchw_params() {
  static const Epilogue bias_relu("bias_relu", true, false, activation("Relu"));
  static const Epilogue bias_add_hardswish("bias_add_hardswish", true, true,
                                           activation("HardSigmoid", 1.f / 6, 0.5f, true), false);
  const NchwParam cases[] = {
      {"conv3x3_s1_p1", ConvCase("nchw3x3", 2, 6, 9, 11, 10, 3, 3).with_pad(1), nullptr, kFp32},
      {"grouped_g3_s2", ConvCase("nchw_g3", 1, 9, 13, 10, 15, 3, 3).with_stride(2).with_pad(1).with_group(3), nullptr,
       kFp32},
      {"fused_bias_relu", ConvCase("nchw_fused", 2, 5, 7, 9, 11, 3, 3).with_pad(1), &bias_relu, kFp32},
      // The epilogue kernel's channel of an NCHW element.
      {"fused_bias_add_hardswish", ConvCase("nchw_kepi", 1, 4, 6, 5, 7, 3, 3).with_pad(1), &bias_add_hardswish,
       kFp32},
  };
  std::vector<NchwParam> params;
  for (const NchwParam& c : cases)
    for (const Precision& p : {kFp32, kFp16}) {
      NchwParam param = c;
      param.precision = p;
      params.push_back(param);
    }
  return params;
}

class CudnnNchwConvTest : public ::testing::TestWithParam<NchwParam> {};

TEST_P(CudnnNchwConvTest, MatchesReference) {
  check_layer(GetParam().conv, GetParam().precision, GetParam().epilogue, false);
}

INSTANTIATE_TEST_SUITE_P(Cases, CudnnNchwConvTest, ::testing::ValuesIn(nchw_params()),
                         [](const ::testing::TestParamInfo<NchwParam>& info) {
                           return info.param.name + "_" + info.param.precision.name;
                         });

// ---- ConvTranspose (NCHW) as cuDNN's backward-data convolution.

// X [n, c, h, w], W [c, m / group, r, s].
struct ConvTransposeCase {
  std::string name;
  int64_t n, c, h, w, m, r, s;
  std::vector<int64_t> strides = {1, 1};
  std::vector<int64_t> pads = {0, 0, 0, 0};
  std::vector<int64_t> dilations = {1, 1};
  std::vector<int64_t> output_padding = {0, 0};
  int64_t group = 1;
  bool bias = true;
};

NodeSpec conv_transpose_spec(const ConvTransposeCase& c) {
  return node_spec("ConvTranspose", {{"strides", Attribute::of_ints(c.strides)},
                                     {"pads", Attribute::of_ints(c.pads)},
                                     {"dilations", Attribute::of_ints(c.dilations)},
                                     {"output_padding", Attribute::of_ints(c.output_padding)},
                                     {"group", Attribute::of_int(c.group)}});
}

// The NCHW ConvTranspose layer with its weights as a graph input.
void check_conv_transpose(const ConvTransposeCase& c, const Precision& prec) {
  const Tensor x = random_input(prec.dtype, {c.n, c.c, c.h, c.w}, 1);
  const Tensor w = random_input(prec.dtype, {c.c, c.m / c.group, c.r, c.s}, 2);
  const Tensor b = c.bias ? random_input(prec.dtype, {c.m}, 3) : Tensor();
  const NodeSpec spec = conv_transpose_spec(c);
  auto expected = testing::run_node(spec, {x, w, b});
  ASSERT_TRUE(expected.ok()) << expected.status().to_string();
  const std::vector<int64_t> y_dims = (*expected)[0].dims();

  const std::vector<Tensor> gpu_inputs = {convert(x, prec.dtype), convert(w, prec.dtype),
                                          b.defined() ? convert(b, prec.dtype) : Tensor()};
  Graph g;
  const Node* node = add_op_node(g, spec, gpu_inputs);
  const cuda::LayerSpec layer = layer_spec(*node, gpu_inputs, y_dims, prec, false);
  const Status supported = cudnn_conv().supports(layer);
  ASSERT_TRUE(supported.ok()) << supported.to_string();

  KILN_REQUIRE_GPU();
  auto runs = testing::run_all_tactics(layer, gpu_inputs);
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  int cudnn_runs = 0, space_to_depth_runs = 0;
  for (const testing::TacticRun& run : *runs) {
    if (run.provider == space_to_depth_conv().name()) ++space_to_depth_runs;
    EXPECT_LE(testing::relative_error(run.outputs[0], (*expected)[0]), prec.tolerance)
        << run.provider << " tactic " << run.tactic;
    if (run.provider != cudnn_conv().name()) continue;
    ++cudnn_runs;
    const std::string dtype =
        prec.dtype == DataType::kFloat16 ? "fp16" : prec.dtype == DataType::kBFloat16 ? "bf16" : "fp32";
    const std::string prefix = "cudnn_convtranspose_nchw_" + dtype + (c.bias ? "_bias" : "");
    EXPECT_EQ(run.tactic.rfind(prefix, 0), 0u) << run.tactic;
  }
  EXPECT_GT(cudnn_runs, 0) << "no cuDNN tactic ran";
}

struct ConvTransposeParam {
  ConvTransposeCase conv;
  Precision precision;
};

std::vector<ConvTransposeParam> conv_transpose_params() {
  ConvTransposeCase upsample{"s2_p1_outpad1_bias", 2, 6, 5, 7, 10, 3, 3};
  upsample.strides = {2, 2};
  upsample.pads = {1, 1, 1, 1};
  upsample.output_padding = {1, 1};
  ConvTransposeCase grouped{"group2_s2_nobias", 1, 8, 6, 5, 6, 3, 3};
  grouped.strides = {2, 2};
  grouped.pads = {1, 1, 1, 1};
  grouped.group = 2;
  grouped.bias = false;
  ConvTransposeCase dilated{"dilation2_bias", 1, 5, 7, 6, 7, 3, 3};
  dilated.pads = {2, 2, 2, 2};
  dilated.dilations = {2, 2};
  // pads (h begin, w begin, h end, w end) all different; stride 2 in h only. FP32 only: 16-bit
  // layers with unequal pads are refused (RefusesUnequalPadsIn16Bit).
  ConvTransposeCase asymmetric{"asymmetric_pads_bias", 2, 4, 6, 7, 5, 3, 4};
  asymmetric.strides = {2, 1};
  asymmetric.pads = {0, 1, 2, 0};
  std::vector<ConvTransposeParam> params;
  for (const ConvTransposeCase& c : {upsample, grouped, dilated})
    for (const Precision& p : {kFp32, kFp16}) params.push_back({c, p});
  params.push_back({asymmetric, kFp32});
  params.push_back({upsample, kBf16});
  params.push_back({upsample, kTf32});
  return params;
}

class CudnnConvTransposeTest : public ::testing::TestWithParam<ConvTransposeParam> {};

TEST_P(CudnnConvTransposeTest, MatchesReference) { check_conv_transpose(GetParam().conv, GetParam().precision); }

INSTANTIATE_TEST_SUITE_P(Cases, CudnnConvTransposeTest, ::testing::ValuesIn(conv_transpose_params()),
                         [](const ::testing::TestParamInfo<ConvTransposeParam>& info) {
                           return info.param.conv.name + "_" + info.param.precision.name;
                         });

TEST(CudnnConvTransposeTest, NamesTactics) {
  cuda::ConvProblem p;
  p.dtype = DataType::kFloat16;
  p.channels_last = false;
  p.transposed = true;
  p.has_bias = true;
  EXPECT_EQ(cuda::conv_tactic_name(p, {cuda::ConvGraphKind::kFused, CUDNN_HEUR_MODE_A, 0, 7}),
            "cudnn_convtranspose_nchw_fp16_bias#e7");
  p.transposed = false;
  p.has_bias = false;
  p.dtype = DataType::kFloat32;
  EXPECT_EQ(cuda::conv_tactic_name(p, {cuda::ConvGraphKind::kFused, CUDNN_HEUR_MODE_A, 0, 3}),
            "cudnn_conv_nchw_fp32#e3");
}

// output_padding not below the stride (allowed by ONNX when below the dilation) has no cuDNN
// backward-data form.
TEST(CudnnConvTransposeTest, RefusesOutputPaddingNotBelowStride) {
  ConvTransposeCase c{"outpad_dilation", 1, 4, 5, 5, 4, 3, 3};
  c.dilations = {2, 2};
  c.output_padding = {1, 1};
  const Tensor x(DataType::kFloat32, {1, 4, 5, 5}), w(DataType::kFloat32, {4, 4, 3, 3});
  const NodeSpec spec = conv_transpose_spec(c);
  Graph g;
  const Node* node = add_op_node(g, spec, {x, w});
  // Full size: (5 - 1) + 1 + (3 - 1) * 2 + 1 = 10.
  const cuda::LayerSpec layer = layer_spec(*node, {x, w}, {1, 4, 10, 10}, kFp32, false);
  const Status s = cudnn_conv().supports(layer);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  EXPECT_NE(s.message().find("output_padding"), std::string::npos) << s.to_string();
}

// Unequal begin/end pads gave wrong FP16 results from a cuDNN engine on the H200: refused.
TEST(CudnnConvTransposeTest, RefusesUnequalPadsIn16Bit) {
  ConvTransposeCase c{"asymmetric_pads", 2, 4, 6, 7, 5, 3, 4};
  c.strides = {2, 1};
  c.pads = {0, 1, 2, 0};
  const Tensor x(DataType::kFloat16, {2, 4, 6, 7}), w(DataType::kFloat16, {4, 5, 3, 4});
  const NodeSpec spec = conv_transpose_spec(c);
  Graph g;
  const Node* node = add_op_node(g, spec, {x, w});
  // (6 - 1) * 2 + 3 - 0 - 2 = 11 rows, (7 - 1) + 4 - 1 - 0 = 9 columns.
  const cuda::LayerSpec layer = layer_spec(*node, {x, w}, {2, 5, 11, 9}, kFp16, false);
  const Status s = cudnn_conv().supports(layer);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  EXPECT_NE(s.message().find("unequal"), std::string::npos) << s.to_string();
}

// ---- A tactic captured into a CUDA graph computes what it computes when launched directly.

TEST(CudnnConvTest, CapturesIntoCudaGraph) {
  KILN_REQUIRE_GPU();
  const Precision& prec = kFp16;
  const Tensor x = random_input(prec.dtype, {2, 8, 9, 9}, 1);
  const Tensor w = random_input(prec.dtype, {16, 8, 3, 3}, 2);
  const Tensor b = random_input(prec.dtype, {16}, 3);
  const Tensor z = random_input(prec.dtype, {2, 16, 9, 9}, 4);
  const ConvCase c = ConvCase("capture", 2, 8, 9, 9, 16, 3, 3).with_pad(1);
  const NodeSpec spec = fused_conv_spec(c, activation("Sigmoid", 0.f, 0.f, true));
  auto expected = testing::run_node(spec, {x, w, b, z});
  ASSERT_TRUE(expected.ok()) << expected.status().to_string();
  const std::vector<Tensor> gpu_inputs = {to_gpu_layout(x, prec.dtype, true), to_gpu_layout(w, prec.dtype, true),
                                          to_gpu_layout(b, prec.dtype, false), to_gpu_layout(z, prec.dtype, true)};
  Graph g;
  const Node* node = add_op_node(g, spec, gpu_inputs);
  const cuda::LayerSpec layer = layer_spec(*node, gpu_inputs, {2, 9, 9, 16}, prec, true);
  const cuda::DeviceContext& dev = testing::test_device();
  auto tactics = cudnn_conv().tactics(layer, dev);
  ASSERT_TRUE(tactics.ok()) << tactics.status().to_string();
  ASSERT_FALSE(tactics->empty());

  for (const cuda::Tactic& tactic : *tactics) {
    // Bit-identical to the direct launch, which is also within tolerance of the reference.
    testing::expect_capture_matches_enqueue(cudnn_conv(), tactic, layer, gpu_inputs);
    auto run = testing::run_direct_and_captured(cudnn_conv(), tactic, layer, gpu_inputs);
    ASSERT_TRUE(run.ok()) << tactic.name << ": " << run.status().to_string();
    EXPECT_LE(testing::relative_error(from_channels_last(run->replayed), (*expected)[0]), prec.tolerance) << tactic.name;
  }
}

// ---- Tactic ids.

TEST(CudnnConvTest, TacticIdsRoundTrip) {
  for (const cuda::ConvTacticKey key : {cuda::ConvTacticKey{cuda::ConvGraphKind::kFused, CUDNN_HEUR_MODE_A, 0, 0},
                                        cuda::ConvTacticKey{cuda::ConvGraphKind::kConvOnly, CUDNN_HEUR_MODE_FALLBACK,
                                                            13, 4021}}) {
    auto decoded = cuda::decode_conv_tactic(cuda::encode_conv_tactic(key));
    ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
    EXPECT_EQ(decoded->kind, key.kind);
    EXPECT_EQ(decoded->mode, key.mode);
    EXPECT_EQ(decoded->index, key.index);
    EXPECT_EQ(decoded->engine, key.engine);
  }
  EXPECT_FALSE(cuda::decode_conv_tactic(-1).ok());
  EXPECT_FALSE(cuda::decode_conv_tactic(int64_t{7} << 52).ok());
}

// ---- What the provider refuses, with a reason.

struct RefusedCase {
  std::vector<int64_t> x_dims, w_dims, y_dims;  // physical
  DataType dtype = DataType::kFloat32;
  bool channels_last = true;
};

Status supports(const RefusedCase& rc) {
  const std::vector<Tensor> inputs = {Tensor(rc.dtype, rc.x_dims), Tensor(rc.dtype, rc.w_dims)};
  Graph g;
  const Node* node = add_op_node(g, node_spec("Conv", {}), inputs);
  cuda::LayerSpec spec = testing::make_spec(*node, inputs, {rc.y_dims}, {rc.dtype}, {1});
  spec.channels_last = rc.channels_last;
  if (rc.channels_last) spec.input_nhwc = {true, true, false, true};
  return cudnn_conv().supports(spec);
}

void expect_refused(const RefusedCase& rc, const std::string& reason_part) {
  const Status s = supports(rc);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  EXPECT_NE(s.message().find(reason_part), std::string::npos) << s.to_string();
}

TEST(CudnnConvTest, RefusesThreeDimensionalConv) {
  expect_refused({{1, 4, 5, 6, 3}, {2, 3, 3, 3, 3}, {1, 2, 3, 4, 2}}, "2-D");
}

TEST(CudnnConvTest, AcceptsNchwConv) {
  const Status s = supports({{1, 3, 5, 5}, {2, 3, 3, 3}, {1, 2, 3, 3}, DataType::kFloat32, false});
  EXPECT_TRUE(s.ok()) << s.to_string();
}

TEST(CudnnConvTest, RefusesThreeDimensionalNchwConv) {
  expect_refused({{1, 3, 5, 6, 4}, {2, 3, 3, 3, 3}, {1, 2, 3, 4, 2}, DataType::kFloat32, false}, "2-D");
}

TEST(CudnnConvTest, RefusesInt8) {
  expect_refused({{1, 5, 5, 3}, {2, 3, 3, 3}, {1, 3, 3, 2}, DataType::kInt8}, "int8");
}

TEST(CudnnConvTest, AcceptsChannelsLastFloatConv) {
  const Status s = supports({{1, 5, 5, 3}, {2, 3, 3, 3}, {1, 3, 3, 2}});
  EXPECT_TRUE(s.ok()) << s.to_string();
}

}  // namespace
}  // namespace kiln
