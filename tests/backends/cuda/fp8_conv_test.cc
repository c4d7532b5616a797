// FP8 (float8e4m3) channels-last kiln.QConv through every tactic of every supporting provider
// (cuDNN's FP8 convolutions, fused or followed by Kiln's epilogue kernel; cuBLASLt's too for the
// 1x1 layer) against the reference kernel, which sums the exact E4M3 products exactly and rounds
// once (expect_every_fp8_tactic_matches says why the tolerance holds); layers cuDNN's FP8 path
// does not take are refused with the reason.
#include <string>
#include <vector>

#include "backends/cuda/layer_kernel.h"
#include "gpu_layer_runner.h"
#include "gtest/gtest.h"
#include "quantized_layer_testing.h"

namespace kiln {
namespace {

using testing::Fp8ConvShape;
using testing::QuantizedCase;

constexpr std::string_view kProvider = "cudnn_fp8_conv";

struct Fp8ConvCase {
  std::string name;
  Fp8ConvShape shape;
  QuantizedCase q;
};

const Activation kRelu{"Relu", 0.f, 0.f, false};
// HardSwish, x * HardSigmoid(x; 1/6, 0.5): cuDNN has no pointwise mode for it, so only the
// convolution-only graphs with Kiln's epilogue kernel can run the layer.
const Activation kHardSwish{"HardSigmoid", 1.f / 6, 0.5f, true};

Fp8ConvCase make_case(std::string name, Fp8ConvShape shape, DataType output) {
  return {std::move(name), shape, testing::fp8_case(shape.k, output)};
}

std::vector<Fp8ConvCase> cases() {
  std::vector<Fp8ConvCase> v;
  {
    // Shape fields: n, h, w, c, k, r, stride, pad.
    Fp8ConvCase c = make_case("conv3x3_s1_pad1_bias_fp32_residual_relu", {2, 9, 7, 32, 48, 3, 1, 1}, DataType::kFloat32);
    c.q.residual = DataType::kFloat32;
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    Fp8ConvCase c = make_case("conv3x3_s2_fp16_residual_fp16_out", {1, 11, 10, 16, 32, 3, 2, 0}, DataType::kFloat16);
    c.q.bias = false;
    c.q.residual = DataType::kFloat16;
    v.push_back(c);
  }
  {
    Fp8ConvCase c = make_case("stem7x7_s2_pad3_c16_bias_relu_bf16_out", {1, 20, 18, 16, 64, 7, 2, 3}, DataType::kBFloat16);
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    Fp8ConvCase c = make_case("pointwise1x1_bias_fp32_residual_relu", {2, 5, 3, 64, 32, 1, 1, 0}, DataType::kFloat32);
    c.q.residual = DataType::kFloat32;
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    Fp8ConvCase c = make_case("conv3x3_s1_pad1_hardswish_fp16_out", {1, 8, 8, 16, 16, 3, 1, 1}, DataType::kFloat16);
    c.q.activation = kHardSwish;
    v.push_back(c);
  }
  return v;
}

class Fp8ConvTest : public ::testing::TestWithParam<Fp8ConvCase> {};

TEST_P(Fp8ConvTest, EveryTacticMatchesTheReference) {
  const Fp8ConvCase& c = GetParam();
  const testing::QuantizedLayer layer = testing::fp8_qconv(c.shape, c.q);
  testing::expect_every_fp8_tactic_matches(layer.spec, layer.inputs, layer.expected, kProvider);
}

INSTANTIATE_TEST_SUITE_P(Cases, Fp8ConvTest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Fp8ConvCase>& info) { return info.param.name; });

TEST(Fp8ConvTest, RefusesChannelsNotMultiplesOfSixteen) {
  // 8 input channels, then 24 output channels.
  for (const Fp8ConvShape& shape : {Fp8ConvShape{1, 6, 6, 8, 16, 3, 1, 1}, Fp8ConvShape{1, 6, 6, 16, 24, 3, 1, 1}}) {
    const testing::QuantizedLayer layer = testing::fp8_qconv(shape, testing::fp8_case(shape.k, DataType::kFloat32));
    const Status s = testing::provider_named(kProvider).supports(layer.spec);
    EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
    EXPECT_NE(s.message().find("multiples of 16"), std::string::npos) << s.to_string();
  }
}

TEST(Fp8ConvTest, EachCudnnProviderRefusesTheOthersOperands) {
  const Fp8ConvShape shape{1, 6, 6, 16, 16, 3, 1, 1};
  testing::QuantizedLayer layer = testing::fp8_qconv(shape, testing::fp8_case(shape.k, DataType::kFloat32));
  {
    const Status s = testing::provider_named("cudnn_conv").supports(layer.spec);
    EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
    EXPECT_NE(s.message().find("takes int8"), std::string::npos) << s.to_string();
  }
  // An int8 X.
  layer.spec.inputs[0]->dtype = DataType::kInt8;
  const Status s = testing::provider_named(kProvider).supports(layer.spec);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  EXPECT_NE(s.message().find("takes float8e4m3"), std::string::npos) << s.to_string();
}

TEST(Fp8ConvTest, CapturesIntoCudaGraph) {
  KILN_REQUIRE_GPU();
  Fp8ConvCase c = make_case("capture", {2, 9, 9, 16, 32, 3, 1, 1}, DataType::kFloat16);
  c.q.residual = DataType::kFloat16;
  c.q.activation = kRelu;
  const testing::QuantizedLayer layer = testing::fp8_qconv(c.shape, c.q);
  const cuda::TacticProvider& provider = testing::provider_named(kProvider);
  auto tactics = provider.tactics(layer.spec, testing::test_device());
  ASSERT_TRUE(tactics.ok()) << tactics.status().to_string();
  ASSERT_FALSE(tactics->empty());
  testing::expect_capture_matches_enqueue(provider, tactics->front(), layer.spec, layer.inputs);
}

}  // namespace
}  // namespace kiln
