// Kiln's int8 implicit-GEMM convolution (kiln_igemm_int8_conv): every tile tactic the device
// runs (the Hopper wgmma tiles too, on an H100 or H200) against the reference kernel (exact int32
// sums, the same epilogue), directly and replayed from a CUDA graph; then every tactic of every
// provider taking the layer (cuDNN's int8 graphs, the direct kernel, cuBLASLt for 1x1) against
// the same values; and the layers it refuses, with reasons.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "backends/cuda/kernels/igemm/igemm_int8_conv.h"
#include "backends/cuda/layer_kernel.h"
#include "gpu_layer_runner.h"
#include "gtest/gtest.h"
#include "quantized_layer_testing.h"

namespace kiln {
namespace {

using testing::QConvShape;
using testing::QuantizedCase;

constexpr std::string_view kProvider = "kiln_igemm_int8_conv";

struct IgemmCase {
  std::string name;
  QConvShape shape;
  QuantizedCase q;
};

const Activation kRelu{"Relu", 0.f, 0.f, false};
const Activation kSilu{"Sigmoid", 0.f, 0.f, true};
const Activation kLeakyRelu{"LeakyRelu", 0.1f, 0.f, false};

// Per-channel weight scales that differ between channels; a bias, int8 output unless changed.
IgemmCase make_case(std::string name, QConvShape shape) {
  IgemmCase c{std::move(name), shape, {}};
  for (int64_t k = 0; k < shape.k; ++k) c.q.w_scale.push_back(0.004f + 0.0005f * static_cast<float>(k % 7));
  return c;
}

// Output pixels (M) of every case are multiples of none of the tiles' 64 and 128 rows, and
// channel counts leave partial tiles: K of 16 or 48 under the 64 and 128 columns, C of 16 or
// 80 (a 64-channel reduction step, then a partial one).
std::vector<IgemmCase> cases() {
  std::vector<IgemmCase> v;
  {
    // Shape fields: n, h, w, c, k, r, stride, pad, dilation.
    IgemmCase c = make_case("conv3x3_pad1_c64_k64_13x11_bias_relu_int8", {1, 13, 11, 64, 64, 3, 1, 1});
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    IgemmCase c = make_case("conv3x3_s2_batch2_fp32_out", {2, 11, 10, 32, 48, 3, 2, 1});
    c.q.bias = false;
    c.q.output = DataType::kFloat32;
    v.push_back(c);
  }
  {
    IgemmCase c = make_case("conv3x3_c80_batch3_fp32_residual_fp32_out", {3, 7, 9, 80, 16, 3, 1, 1});
    c.q.residual = DataType::kFloat32;
    c.q.output = DataType::kFloat32;
    v.push_back(c);
  }
  {
    IgemmCase c = make_case("pointwise1x1_batch2_int8_residual_relu_int8", {2, 9, 7, 64, 32, 1, 1, 0});
    c.q.residual = DataType::kInt8;
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    IgemmCase c = make_case("pointwise1x1_s2_fp16_residual_silu_fp16_out", {2, 11, 13, 32, 64, 1, 2, 0});
    c.q.residual = DataType::kFloat16;
    c.q.activation = kSilu;
    c.q.output = DataType::kFloat16;
    v.push_back(c);
  }
  {
    IgemmCase c = make_case("stem7x7_s2_pad3_c16_bias_relu_bf16_out", {1, 20, 18, 16, 64, 7, 2, 3});
    c.q.activation = kRelu;
    c.q.output = DataType::kBFloat16;
    v.push_back(c);
  }
  {
    IgemmCase c = make_case("conv3x3_dilation2_pad2_leakyrelu_int8", {2, 12, 13, 16, 32, 3, 1, 2, 2});
    c.q.activation = kLeakyRelu;
    v.push_back(c);
  }
  {
    IgemmCase c = make_case("conv3x3_batch2_int8_residual_int8", {2, 8, 9, 32, 16, 3, 1, 1});
    c.q.bias = false;
    c.q.residual = DataType::kInt8;
    v.push_back(c);
  }
  {
    // Several 256-pixel tiles and a full 128-channel one, on the switch-free int8 epilogue.
    IgemmCase c = make_case("conv3x3_batch2_c64_k128_17x19_bias_relu_int8", {2, 17, 19, 64, 128, 3, 1, 1});
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    // Three channel steps per tap, an int8 residual and no activation.
    IgemmCase c = make_case("pointwise1x1_c192_k64_15x15_int8_residual_int8", {1, 15, 15, 192, 64, 1, 1, 0});
    c.q.residual = DataType::kInt8;
    v.push_back(c);
  }
  // Wider layers, for the wgmma tiles' 128- and 256-channel blocks: M leaving a partial 64- or
  // 128-pixel tile, K a partial 128- or 256-channel one, C = 192 three reduction steps a tap.
  {
    IgemmCase c = make_case("conv3x3_pad1_batch2_c128_k128_10x9_bias_relu_int8", {2, 10, 9, 128, 128, 3, 1, 1});
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    IgemmCase c = make_case("conv3x3_pad1_c256_k256_7x9_int8_residual_relu_int8", {1, 7, 9, 256, 256, 3, 1, 1});
    c.q.residual = DataType::kInt8;
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    // ResNet's bottleneck expansion: 64 channels to 256, one reduction step, folded epilogue.
    IgemmCase c = make_case("pointwise1x1_batch2_c64_k256_15x13_int8_residual_relu_int8", {2, 15, 13, 64, 256, 1, 1, 0});
    c.q.residual = DataType::kInt8;
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    IgemmCase c = make_case("pointwise1x1_batch2_c256_k128_9x11_fp32_out", {2, 9, 11, 256, 128, 1, 1, 0});
    c.q.output = DataType::kFloat32;
    v.push_back(c);
  }
  {
    IgemmCase c = make_case("pointwise1x1_s2_c128_k256_13x12_int8_residual_relu_int8", {1, 13, 12, 128, 256, 1, 2, 0});
    c.q.residual = DataType::kInt8;
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    IgemmCase c = make_case("conv3x3_s2_pad1_batch3_c192_k144_fp32_out", {3, 15, 14, 192, 144, 3, 2, 1});
    c.q.bias = false;
    c.q.output = DataType::kFloat32;
    v.push_back(c);
  }
  // More tiles than an H100 holds blocks of the persistent tile (132 SMs x 2), so each block runs
  // three or four in turn: 104,000 pixels, 813 tiles of 128 (the last partial). One reduction step
  // a tile (the residual waits with the next tile's loads), then two (C = 80: one and a partial).
  for (int64_t c : {16, 80}) {
    IgemmCase p = make_case(fmt::format("pointwise1x1_batch40_c{}_k16_50x52_int8_residual_relu_int8", c),
                            {40, 50, 52, c, 16, 1, 1, 0});
    p.q.residual = DataType::kInt8;
    p.q.activation = kRelu;
    v.push_back(p);
  }
  return v;
}

class IgemmConvTest : public ::testing::TestWithParam<IgemmCase> {};

// The provider's own tactics first, so a failure here is the implicit GEMM's alone.
TEST_P(IgemmConvTest, EveryTileMatchesTheReferenceAndReplaysFromACudaGraph) {
  const IgemmCase& c = GetParam();
  const testing::QuantizedLayer layer = testing::int8_qconv(c.shape, c.q);
  ASSERT_TRUE(layer.expected.defined());
  const cuda::TacticProvider& provider = testing::provider_named(kProvider);
  const Status supported = provider.supports(layer.spec);
  ASSERT_TRUE(supported.ok()) << supported.to_string();

  KILN_REQUIRE_GPU();
  EXPECT_EQ(testing::expect_provider_tactics_match(provider, layer, "kiln_igemm_int8_").size(),
            testing::igemm_tiles_on_test_device());
}

TEST_P(IgemmConvTest, EveryProviderTacticMatchesTheReference) {
  const IgemmCase& c = GetParam();
  const testing::QuantizedLayer layer = testing::int8_qconv(c.shape, c.q);
  testing::expect_every_quantized_tactic_matches(layer.spec, layer.inputs, layer.expected, kProvider,
                                                 /*library_refuses=*/false);
}

INSTANTIATE_TEST_SUITE_P(Cases, IgemmConvTest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<IgemmCase>& info) { return info.param.name; });

// The reason `provider` gives for refusing the layer of `shape` (a test failure when it takes it).
std::string refusal(const QConvShape& shape, bool channels_last = true) {
  testing::QuantizedLayer layer = testing::int8_qconv(shape, make_case("refused", shape).q);
  if (!channels_last) {
    layer.spec.channels_last = false;
    layer.spec.input_nhwc.clear();
  }
  const Status s = testing::provider_named(kProvider).supports(layer.spec);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  return s.message();
}

TEST(IgemmConvTest, RefusesWithReasons) {
  // Shape fields: n, h, w, c, k, r, stride, pad, dilation, group.
  EXPECT_NE(refusal({1, 6, 6, 8, 16, 3, 1, 1}).find("multiples of 16"), std::string::npos);
  EXPECT_NE(refusal({1, 6, 6, 16, 24, 3, 1, 1}).find("multiples of 16"), std::string::npos);
  EXPECT_NE(refusal({1, 6, 6, 32, 32, 3, 1, 1, 1, 2}).find("group 2"), std::string::npos);
  EXPECT_NE(refusal({1, 12, 12, 16, 16, 9, 1, 4}).find("at most 64 filter taps"), std::string::npos);
  EXPECT_NE(refusal({1, 6, 6, 16, 16, 3, 1, 1}, /*channels_last=*/false).find("channels-last"), std::string::npos);
}

// The folded epilogue's vectors as the kernels read them: a float4 (scale, scale, shift, shift)
// per channel pair, zeros up to the padded width. Checked on the host, channel by channel.
TEST(IgemmConvTest, ChannelPairsInterleaveScalesAndShiftsAndPad) {
  constexpr size_t kChannels = 6;
  std::vector<float> scale_shift(2 * kChannels);
  for (size_t k = 0; k < kChannels; ++k) {
    scale_shift[k] = 1.f + static_cast<float>(k);               // scales 1..6
    scale_shift[kChannels + k] = -10.f - static_cast<float>(k);  // shifts -10..-15
  }
  const std::vector<float> pairs = cuda::igemm_channel_pairs(scale_shift);
  ASSERT_EQ(pairs.size(), 2u * cuda::kIgemmFoldedChannelPad);
  for (size_t k = 0; k < kChannels; ++k) {
    const size_t pair = k / 2, member = k % 2;
    EXPECT_EQ(pairs[4 * pair + member], scale_shift[k]) << "scale of channel " << k;
    EXPECT_EQ(pairs[4 * pair + 2 + member], scale_shift[kChannels + k]) << "shift of channel " << k;
  }
  for (size_t i = 2 * kChannels; i < pairs.size(); ++i) EXPECT_EQ(pairs[i], 0.f) << "padding at " << i;
  EXPECT_EQ(cuda::igemm_channel_pairs(std::vector<float>(2 * 257, 1.f)).size(), 4u * cuda::kIgemmFoldedChannelPad);
}

// The wgmma tiles are sm_90a code: offered, and created, on compute capability 9.0 only.
TEST(IgemmConvTest, WgmmaTilesRunOnComputeCapability90Only) {
  EXPECT_TRUE(cuda::igemm_tile_runs_on(cuda::IgemmTile::k64x256x64_wgmma, 9, 0));
  EXPECT_FALSE(cuda::igemm_tile_runs_on(cuda::IgemmTile::k64x64x64_wgmma, 8, 9));
  EXPECT_FALSE(cuda::igemm_tile_runs_on(cuda::IgemmTile::k128x128x64_wgmma, 10, 0));
  EXPECT_TRUE(cuda::igemm_tile_runs_on(cuda::IgemmTile::k128x128, 8, 0));

  const QConvShape shape{1, 6, 6, 128, 128, 3, 1, 1};
  const testing::QuantizedLayer layer = testing::int8_qconv(shape, make_case("ampere", shape).q);
  cuda::DeviceContext ampere;
  ampere.props.major = 8;
  ampere.props.minor = 0;
  const cuda::TacticProvider& provider = testing::provider_named(kProvider);
  auto tactics = provider.tactics(layer.spec, ampere);
  ASSERT_TRUE(tactics.ok()) << tactics.status().to_string();
  for (const cuda::Tactic& t : *tactics) EXPECT_EQ(t.name.find("wgmma"), std::string::npos) << t.name;
  const cuda::Tactic wgmma{"kiln_igemm_int8_64x128x64_wgmma", static_cast<int64_t>(cuda::IgemmTile::k64x128x64_wgmma)};
  auto kernel = provider.create(layer.spec, wgmma, ampere);
  ASSERT_FALSE(kernel.ok());
  EXPECT_EQ(kernel.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(kernel.status().message().find("9.0"), std::string::npos) << kernel.status().to_string();
}

// The E4M3 layers are the FP8 providers'.
TEST(IgemmConvTest, RefusesFp8Layers) {
  const QConvShape shape{1, 6, 6, 16, 16, 3, 1, 1};
  const testing::QuantizedLayer layer = testing::fp8_qconv(shape, testing::fp8_case(shape.k, DataType::kFloat32));
  const Status s = testing::provider_named(kProvider).supports(layer.spec);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
}

}  // namespace
}  // namespace kiln
