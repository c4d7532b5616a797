// The int8 space-to-depth stem on the implicit GEMM (kiln_s2d_igemm_int8_conv): every tile tactic
// the device runs, and every halo tile taking the row form, against the reference kernel (exact int32 sums, the same epilogue), directly and
// replayed from a CUDA graph; then every tactic of every provider taking the layer (the direct
// kernel; cuDNN's int8 graphs where C is a multiple of 4); and the layers it refuses, with reasons.
// The cases cover blocked kernel rows of 2, 3 and 4 blocks (32-, 48- and 64-channel rows of the
// row geometry, space_to_depth_stem.h) and odd image sizes.
#include <algorithm>
#include <string>
#include <vector>

#include "backends/cuda/kernels/igemm/halo_igemm_int8_conv.h"
#include "backends/cuda/kernels/igemm/igemm_int8_conv.h"
#include "backends/cuda/kernels/igemm/stem_pool_igemm_int8_conv.h"
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
  // The halo tiles (kHaloTiles) taking the row form on a 9.0 device: those holding a whole output
  // row, where the row form is 64 channels (a 4x4 blocked kernel) and the epilogue folds.
  size_t halo_tiles = 0;
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
    c.halo_tiles = 4;
    v.push_back(c);
  }
  {
    // 100-pixel output rows: over the 64-row halo tile, one a block on the 128-row tiles, two on
    // the 256-row one (48 rows: the last block of each image is whole).
    StemCase c = make_case("resnet7x7_96x200_k64_bias_relu_int8", {1, 96, 200, 3, 64, 7, 2, 3});
    c.q.activation = kRelu;
    c.halo_tiles = 3;
    v.push_back(c);
  }
  {
    // 47 output rows of 75: three a block on the 256-row halo tile leave two in each image's last.
    StemCase c = make_case("resnet7x7_batch2_94x150_k64_bias_relu_int8", {2, 94, 150, 3, 64, 7, 2, 3});
    c.q.activation = kRelu;
    c.halo_tiles = 3;
    v.push_back(c);
  }
  {
    StemCase c = make_case("resnet7x7_batch2_33x31_k32_bias_relu_int8", {2, 33, 31, 3, 32, 7, 2, 3});
    c.q.activation = kRelu;
    c.halo_tiles = 4;
    v.push_back(c);
  }
  {
    // Even pads: the windows start on block edges, 4x4 blocked kernel still.
    StemCase c = make_case("stem7x7_pad2_batch3_27x29_k48_bias_relu_int8", {3, 27, 29, 3, 48, 7, 2, 2});
    c.q.activation = kRelu;
    c.halo_tiles = 4;
    v.push_back(c);
  }
  {
    StemCase c = make_case("stem8x8_pad0_24x26_k16_int8_residual_relu_int8", {1, 24, 26, 3, 16, 8, 2, 0});
    c.q.residual = DataType::kInt8;
    c.q.activation = kRelu;
    c.halo_tiles = 4;
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
  const std::vector<std::string> run = testing::expect_provider_tactics_match(provider, layer, "kiln_s2d_");
  const auto count = [&](std::string_view prefix) {
    return std::count_if(run.begin(), run.end(), [&](const std::string& n) { return n.rfind(prefix, 0) == 0; });
  };
  EXPECT_EQ(static_cast<size_t>(count("kiln_s2d_igemm_int8_")), testing::igemm_tiles_on_test_device());
  const cudaDeviceProp& props = testing::test_device().props;
  EXPECT_EQ(static_cast<size_t>(count("kiln_s2d_halo_igemm_int8_")),
            cuda::halo_tiles_run_on(props.major, props.minor) ? c.halo_tiles : 0);
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

// The halo tiles are offered on compute capability 9.0 only, and only where the layer folds.
TEST(IgemmInt8StemTest, OffersHaloTilesOn90WhereTheEpilogueFolds) {
  cuda::DeviceContext hopper, ampere;
  hopper.props.major = 9;
  hopper.props.minor = 0;
  ampere.props.major = 8;
  ampere.props.minor = 6;
  const auto halo_names = [](const StemCase& c, const cuda::DeviceContext& device) {
    const testing::QuantizedLayer layer = testing::int8_qconv(c.shape, c.q);
    auto tactics = testing::provider_named(kProvider).tactics(layer.spec, device);
    EXPECT_TRUE(tactics.ok()) << tactics.status().to_string();
    std::vector<std::string> names;
    if (tactics.ok())
      for (const cuda::Tactic& t : *tactics)
        if (t.name.rfind("kiln_s2d_halo_", 0) == 0) names.push_back(t.name);
    return names;
  };
  StemCase resnet = make_case("resnet", {1, 96, 200, 3, 64, 7, 2, 3});
  resnet.q.activation = kRelu;
  EXPECT_EQ(halo_names(resnet, hopper),
            (std::vector<std::string>{"kiln_s2d_halo_igemm_int8_128x64x64_wgmma_bias_relu_to_int8",
                                      "kiln_s2d_halo_igemm_int8_256x64x64_wgmma_bias_relu_to_int8",
                                      "kiln_s2d_halo_igemm_int8_128x128x64_wgmma_bias_relu_to_int8"}));
  EXPECT_TRUE(halo_names(resnet, ampere).empty());
  StemCase float_out = resnet;
  float_out.q.output = DataType::kFloat32;  // the general epilogue: the implicit GEMM's alone
  EXPECT_TRUE(halo_names(float_out, hopper).empty());
  StemCase grayscale = make_case("grayscale", {1, 17, 19, 1, 16, 3, 2, 1});  // 32-channel rows
  EXPECT_TRUE(halo_names(grayscale, hopper).empty());
}

// ---- The stem pooled in the same layer (LayerSpec::pool: fuse_stem_max_pool) ----

// `layer` with a 3x3, stride 2, pad 1 MaxPool after its convolution: the pool's node, the pooled
// output dims, and the expected output pooled on the host from the reference convolution's.
struct PooledLayer {
  testing::QuantizedLayer layer;
  std::unique_ptr<testing::OwnedNode> pool;
};
PooledLayer pooled(testing::QuantizedLayer layer, int64_t ceil_mode = 0, int64_t kernel = 3) {
  PooledLayer p{std::move(layer), nullptr};
  const Tensor conv = p.layer.expected;  // [N, OH, OW, K]
  const int64_t n = conv.dims()[0], oh = conv.dims()[1], ow = conv.dims()[2], k = conv.dims()[3];
  p.pool = testing::node_in_graph("MaxPool", "", 13,
                                  {{"kernel_shape", Attribute::of_ints({kernel, kernel})},
                                   {"strides", Attribute::of_ints({2, 2})},
                                   {"pads", Attribute::of_ints({1, 1, 1, 1})},
                                   {"ceil_mode", Attribute::of_int(ceil_mode)}},
                                  {Tensor(DataType::kInt8, {n, k, oh, ow})});
  const int64_t ph = (oh - 1) / 2 + 1, pw = (ow - 1) / 2 + 1;
  Tensor y(DataType::kInt8, {n, ph, pw, k});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t py = 0; py < ph; ++py)
      for (int64_t px = 0; px < pw; ++px)
        for (int64_t c = 0; c < k; ++c) {
          int m = -128;
          for (int64_t y0 = 2 * py - 1; y0 <= 2 * py + 1; ++y0)
            for (int64_t x0 = 2 * px - 1; x0 <= 2 * px + 1; ++x0)
              if (y0 >= 0 && y0 < oh && x0 >= 0 && x0 < ow)
                m = std::max(m, int{conv.data<int8_t>()[((b * oh + y0) * ow + x0) * k + c]});
          y.data<int8_t>()[((b * ph + py) * pw + px) * k + c] = static_cast<int8_t>(m);
        }
  p.layer.expected = y;
  p.layer.spec.pool = p.pool->node;
  p.layer.spec.outputs[0].dims = {n, ph, pw, k};
  return p;
}

class PooledStemTest : public ::testing::TestWithParam<StemCase> {};

// Every strip of the pooled kernel against the pooled reference, directly and from a CUDA graph.
TEST_P(PooledStemTest, EveryStripMatchesThePooledReferenceAndReplaysFromACudaGraph) {
  const StemCase& c = GetParam();
  const PooledLayer p = pooled(testing::int8_qconv(c.shape, c.q));
  ASSERT_TRUE(p.layer.expected.defined());
  const cuda::TacticProvider& provider = testing::provider_named(kProvider);
  ASSERT_TRUE(provider.runs_trailing_pool());
  const Status supported = provider.takes(p.layer.spec);
  ASSERT_TRUE(supported.ok()) << supported.to_string();
  // No other provider is offered the pooled layer (their convolutions would skip the pool).
  EXPECT_FALSE(testing::provider_named("kiln_igemm_int8_conv").takes(p.layer.spec).ok());
  EXPECT_FALSE(testing::provider_named("kiln_direct_quantized").takes(p.layer.spec).ok());

  KILN_REQUIRE_GPU();
  const cudaDeviceProp& props = testing::test_device().props;
  const std::vector<std::string> run = testing::expect_provider_tactics_match(provider, p.layer, "kiln_s2d_pool_");
  EXPECT_EQ(run.size(), cuda::halo_tiles_run_on(props.major, props.minor) ? std::size(cuda::kStemPoolStrips) : 0);
}

std::vector<StemCase> pooled_cases() {
  std::vector<StemCase> v;
  // Shape fields: n, h, w, c, k, r, stride, pad.
  {
    StemCase c = make_case("resnet7x7_batch2_32x32_k64_bias_relu", {2, 32, 32, 3, 64, 7, 2, 3});
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    // ResNet-50's own stem: 112-pixel conv rows, each m64's window runs past the row into the next.
    StemCase c = make_case("resnet7x7_224x224_k64_bias_relu", {1, 224, 224, 3, 64, 7, 2, 3});
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    // 48 x 100 conv outputs, 24 x 50 pooled: several strips an image for every strip length.
    StemCase c = make_case("resnet7x7_96x200_k64_bias_relu", {1, 96, 200, 3, 64, 7, 2, 3});
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    // 47 x 75 conv outputs: the last pooled row has no row below, the last column none right;
    // 48 channels: the last 16 of the tile are never stored.
    StemCase c = make_case("resnet7x7_batch2_94x150_k48_bias_relu", {2, 94, 150, 3, 48, 7, 2, 3});
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    // No activation: negative outputs, so the pool's maximum is signed.
    StemCase c = make_case("rgba7x7_batch2_40x36_k32_no_activation", {2, 40, 36, 4, 32, 7, 2, 3});
    v.push_back(c);
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Cases, PooledStemTest, ::testing::ValuesIn(pooled_cases()),
                         [](const ::testing::TestParamInfo<StemCase>& info) { return info.param.name; });

// What the pooled kernel does not run is refused with the reason: another pool, or a layer whose
// epilogue does not fold; on a device other than 9.0 it offers nothing.
TEST(PooledStemTest, RefusesWithReasonsAndOffersNothingOffHopper) {
  const cuda::TacticProvider& provider = testing::provider_named(kProvider);
  StemCase c = make_case("resnet", {1, 32, 32, 3, 64, 7, 2, 3});
  c.q.activation = kRelu;
  const Status ceil = provider.takes(pooled(testing::int8_qconv(c.shape, c.q), 1).layer.spec);
  EXPECT_NE(ceil.message().find("ceil_mode 0"), std::string::npos) << ceil.to_string();
  const Status two = provider.takes(pooled(testing::int8_qconv(c.shape, c.q), 0, 2).layer.spec);
  EXPECT_NE(two.message().find("3x3 windows"), std::string::npos) << two.to_string();
  StemCase float_out = c;
  float_out.q.output = DataType::kFloat32;
  const Status general = provider.takes(pooled(testing::int8_qconv(float_out.shape, float_out.q)).layer.spec);
  EXPECT_EQ(general.code(), StatusCode::kUnsupported) << general.to_string();

  const PooledLayer p = pooled(testing::int8_qconv(c.shape, c.q));
  cuda::DeviceContext hopper, ampere;
  hopper.props.major = 9;
  ampere.props.major = 8;
  ampere.props.minor = 6;
  auto on_hopper = provider.tactics(p.layer.spec, hopper);
  ASSERT_TRUE(on_hopper.ok()) << on_hopper.status().to_string();
  ASSERT_EQ(on_hopper->size(), std::size(cuda::kStemPoolStrips));
  EXPECT_EQ(on_hopper->front().name, "kiln_s2d_pool_igemm_int8_256x64x64_wgmma_s8_bias_relu_to_int8");
  auto on_ampere = provider.tactics(p.layer.spec, ampere);
  ASSERT_TRUE(on_ampere.ok()) << on_ampere.status().to_string();
  EXPECT_TRUE(on_ampere->empty());
}

}  // namespace
}  // namespace kiln
