// The int8 space-to-depth stem on the implicit GEMM (kiln_s2d_igemm_int8_conv): every tile tactic
// the device runs against the reference kernel (exact int32 sums, the same epilogue), directly and
// replayed from a CUDA graph; then every tactic of every provider taking the layer (the direct
// kernel; cuDNN's int8 graphs where C is a multiple of 4); and the layers it refuses, with reasons.
// The cases cover blocked kernel rows of 2, 3 and 4 blocks (32-, 48- and 64-channel rows of the
// row geometry, space_to_depth_stem.h) and odd image sizes.
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

constexpr std::string_view kProvider = "kiln_s2d_igemm_int8_conv";

struct StemCase {
  std::string name;
  QConvShape shape;
  QuantizedCase q;
};

const Activation kRelu{"Relu", 0.f, 0.f, false};

// Per-channel weight scales that differ between channels; a bias, int8 output unless changed.
StemCase make_case(std::string name, QConvShape shape) {
  StemCase c{std::move(name), shape, {}};
  for (int64_t k = 0; k < shape.k; ++k) c.q.w_scale.push_back(0.004f + 0.0005f * static_cast<float>(k % 7));
  return c;
}

std::vector<StemCase> cases() {
  std::vector<StemCase> v;
  // Shape fields: n, h, w, c, k, r, stride, pad.
  {
    // ResNet's stem (7x7, stride 2, pad 3: 4x4 blocked kernel, 64-channel rows), folded epilogue.
    StemCase c = make_case("resnet7x7_batch2_32x32_k64_bias_relu_int8", {2, 32, 32, 3, 64, 7, 2, 3});
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    StemCase c = make_case("resnet7x7_batch2_33x31_k32_bias_relu_int8", {2, 33, 31, 3, 32, 7, 2, 3});
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    // Even pads: the windows start on block edges, 4x4 blocked kernel still.
    StemCase c = make_case("stem7x7_pad2_batch3_27x29_k48_bias_relu_int8", {3, 27, 29, 3, 48, 7, 2, 2});
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    StemCase c = make_case("stem8x8_pad0_24x26_k16_int8_residual_relu_int8", {1, 24, 26, 3, 16, 8, 2, 0});
    c.q.residual = DataType::kInt8;
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    // A grayscale 3x3 stem: 2x2 blocked kernel, 32-channel rows (half a reduction step).
    StemCase c = make_case("grayscale3x3_pad1_17x19_k16_bias_int8", {1, 17, 19, 1, 16, 3, 2, 1});
    v.push_back(c);
  }
  {
    // RGBA 5x5 at an even pad: 3x3 blocked kernel, 48-channel rows; the general epilogue.
    StemCase c = make_case("rgba5x5_pad2_batch2_21x22_k48_fp32_out", {2, 21, 22, 4, 48, 5, 2, 2});
    c.q.bias = false;
    c.q.output = DataType::kFloat32;
    v.push_back(c);
  }
  return v;
}

class IgemmInt8StemTest : public ::testing::TestWithParam<StemCase> {};

// The provider's own tactics first, so a failure here is the stem's alone.
TEST_P(IgemmInt8StemTest, EveryTileMatchesTheReferenceAndReplaysFromACudaGraph) {
  const StemCase& c = GetParam();
  const testing::QuantizedLayer layer = testing::int8_qconv(c.shape, c.q);
  ASSERT_TRUE(layer.expected.defined());
  const cuda::TacticProvider& provider = testing::provider_named(kProvider);
  const Status supported = provider.supports(layer.spec);
  ASSERT_TRUE(supported.ok()) << supported.to_string();

  KILN_REQUIRE_GPU();
  EXPECT_EQ(testing::expect_provider_tactics_match(provider, layer, "kiln_s2d_igemm_int8_").size(),
            testing::igemm_tiles_on_test_device());
}

TEST_P(IgemmInt8StemTest, EveryProviderTacticMatchesTheReference) {
  const StemCase& c = GetParam();
  const testing::QuantizedLayer layer = testing::int8_qconv(c.shape, c.q);
  testing::expect_every_quantized_tactic_matches(layer.spec, layer.inputs, layer.expected, "cudnn_conv",
                                                 /*library_refuses=*/c.shape.c % 4 != 0);
}

INSTANTIATE_TEST_SUITE_P(Cases, IgemmInt8StemTest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<StemCase>& info) { return info.param.name; });

// The reason the provider gives for refusing the layer of `shape` (a test failure when it takes it).
std::string refusal(const QConvShape& shape) {
  const testing::QuantizedLayer layer = testing::int8_qconv(shape, make_case("refused", shape).q);
  const Status s = testing::provider_named(kProvider).supports(layer.spec);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  return s.message();
}

TEST(IgemmInt8StemTest, RefusesWithReasons) {
  // Shape fields: n, h, w, c, k, r, stride, pad, dilation.
  EXPECT_NE(refusal({1, 16, 16, 3, 64, 7, 1, 3}).find("stride 2"), std::string::npos);
  EXPECT_NE(refusal({1, 16, 16, 3, 64, 3, 2, 2, 2}).find("no dilation"), std::string::npos);
  EXPECT_NE(refusal({1, 16, 16, 8, 64, 7, 2, 3}).find("at most 4 input channels"), std::string::npos);
  EXPECT_NE(refusal({1, 16, 16, 3, 24, 7, 2, 3}).find("multiples of 16"), std::string::npos);
}

// The E4M3 layers are the FP8 providers'; float layers are cuDNN's (cudnn_s2d_conv), which in
// turn leaves int8 ones to this provider.
TEST(IgemmInt8StemTest, LeavesFp8LayersToTheFp8ProvidersAndInt8OnesAreItsAlone) {
  const QConvShape shape{1, 16, 16, 3, 16, 7, 2, 3};
  const testing::QuantizedLayer fp8 = testing::fp8_qconv(shape, testing::fp8_case(shape.k, DataType::kFloat32));
  EXPECT_EQ(testing::provider_named(kProvider).supports(fp8.spec).code(), StatusCode::kUnsupported);
  const testing::QuantizedLayer int8 = testing::int8_qconv(shape, make_case("int8", shape).q);
  const Status cudnn_s2d = testing::provider_named("cudnn_s2d_conv").supports(int8.spec);
  EXPECT_EQ(cudnn_s2d.code(), StatusCode::kUnsupported) << cudnn_s2d.to_string();
  EXPECT_NE(cudnn_s2d.message().find(kProvider), std::string::npos) << cudnn_s2d.to_string();
}

}  // namespace
}  // namespace kiln
