// The halo-tile int8 3x3 convolution (kiln_halo_igemm_int8_conv): every tile tactic the device
// runs (an H100 or H200; none elsewhere) against the reference kernel, directly and replayed from
// a CUDA graph, on shapes whose rows leave the tiles partly empty, whose images end inside a row
// tile, with one to eight 64-channel chunks and partial output-channel tiles; then the layers it
// refuses, with reasons. A mismatch is described by where the wrong outputs lie (image, row,
// column, channel), which says which part of the kernel is wrong: the halo's edges, a tap, a
// chunk, a tile's rows or channels.
#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "backends/cuda/kernels/igemm/halo_igemm_int8_conv.h"
#include "backends/cuda/layer_kernel.h"
#include "gpu_layer_runner.h"
#include "gtest/gtest.h"
#include "quantized_layer_testing.h"

namespace kiln {
namespace {

using testing::QConvShape;
using testing::QuantizedCase;

constexpr std::string_view kProvider = "kiln_halo_igemm_int8_conv";

struct HaloCase {
  std::string name;
  QConvShape shape;
  QuantizedCase q;
};

const Activation kRelu{"Relu", 0.f, 0.f, false};

// A 3x3, stride 1, pad 1 layer: per-channel weight scales that differ between channels, a bias,
// int8 output unless changed.
HaloCase make_case(std::string name, int64_t n, int64_t h, int64_t w, int64_t c, int64_t k) {
  HaloCase hc{std::move(name), {n, h, w, c, k, 3, 1, 1}, {}};
  for (int64_t i = 0; i < k; ++i) hc.q.w_scale.push_back(0.004f + 0.0005f * static_cast<float>(i % 7));
  return hc;
}

std::vector<HaloCase> cases() {
  std::vector<HaloCase> v;
  {
    // Rows of 11 pixels: 5 a 64-row tile (13 rows: tiles of 5, 5, 3), 11 a 128-row one (11, 2), all
    // 13 a 256-row one.
    HaloCase c = make_case("c64_k64_13x11_bias_relu", 1, 13, 11, 64, 64);
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    // Two chunks, three images, K = 48 under every tile's 64 or 128 channels.
    HaloCase c = make_case("batch3_c128_k48_9x7_int8_residual", 3, 9, 7, 128, 48);
    c.q.residual = DataType::kInt8;
    v.push_back(c);
  }
  {
    // Three chunks: stage 0 refilled for the third; K = 80, a full and a partial tile of 64.
    HaloCase c = make_case("batch2_c192_k80_10x12_int8_residual_relu_no_bias", 2, 10, 12, 192, 80);
    c.q.bias = false;
    c.q.residual = DataType::kInt8;
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    // ResNet-50's layer1 3x3 at batch 2: 56 of each 64-row tile's rows used.
    HaloCase c = make_case("resnet_layer1_batch2_c64_k64_56x56_bias_relu", 2, 56, 56, 64, 64);
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    // layer2's: a full 128-channel tile, two chunks, the residual and ReLU of a block's end.
    HaloCase c = make_case("resnet_layer2_c128_k128_28x28_int8_residual_relu", 1, 28, 28, 128, 128);
    c.q.residual = DataType::kInt8;
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    // layer3's and layer4's: four and eight chunks, no activation.
    v.push_back(make_case("resnet_layer3_c256_k256_14x14_bias", 1, 14, 14, 256, 256));
    HaloCase c = make_case("resnet_layer4_batch2_c512_k512_7x7_no_bias_relu", 2, 7, 7, 512, 512);
    c.q.bias = false;
    c.q.activation = kRelu;
    v.push_back(c);
  }
  {
    // One-pixel rows: a tile is all of the image's rows (20), its halo three pixels wide; K = 16.
    v.push_back(make_case("c64_k16_20x1_bias", 1, 20, 1, 64, 16));
  }
  {
    // One-row images: the halo's first and last rows are both padding.
    HaloCase c = make_case("batch4_c64_k32_1x5_int8_residual", 4, 1, 5, 64, 32);
    c.q.residual = DataType::kInt8;
    v.push_back(c);
  }
  {
    // Rows exactly as long as the 64-row tile; 1, 2 and 4 of them a tile.
    v.push_back(make_case("batch2_c128_k64_5x64_bias", 2, 5, 64, 128, 64));
  }
  {
    // Rows of 200 pixels: the 256-row tile alone takes them.
    HaloCase c = make_case("c64_k32_3x200_relu", 1, 3, 200, 64, 32);
    c.q.activation = kRelu;
    v.push_back(c);
  }
  return v;
}

// Where the outputs differing from the reference by more than one step lie (Y is [N, OH, OW, K]):
// how many, the first few, and the rows, columns and channels that hold any. Empty when none do.
std::string wrong_outputs(const Tensor& actual, const Tensor& expected, const QConvShape& s) {
  if (actual.dtype() != DataType::kInt8 || actual.numel() != expected.numel()) return {};
  std::set<int64_t> images, rows, columns, channels;
  std::ostringstream first;
  int64_t wrong = 0;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    if (std::abs(int{actual.data<int8_t>()[i]} - int{expected.data<int8_t>()[i]}) <= 1) continue;
    const int64_t k = i % s.k, ow = i / s.k % s.w, oh = i / s.k / s.w % s.h, n = i / s.k / s.w / s.h;
    if (wrong++ < 4)
      first << " (image " << n << ", row " << oh << ", column " << ow << ", channel " << k << ": "
            << int{actual.data<int8_t>()[i]} << " for " << int{expected.data<int8_t>()[i]} << ")";
    images.insert(n);
    rows.insert(oh);
    columns.insert(ow);
    channels.insert(k);
  }
  if (wrong == 0) return {};
  const auto list = [](const std::set<int64_t>& values) {
    std::ostringstream out;
    int shown = 0;
    for (int64_t value : values) {
      if (shown++ == 16) {
        out << " ...";
        break;
      }
      out << " " << value;
    }
    return out.str();
  };
  std::ostringstream out;
  out << wrong << " of " << expected.numel() << " outputs off by more than one; first:" << first.str()
      << "; images:" << list(images) << "; rows:" << list(rows) << "; columns:" << list(columns)
      << "; channels:" << list(channels);
  return out.str();
}

// The tiles that take the layer: the tactics an H100 or H200 gets.
std::vector<cuda::HaloTile> tiles_taking(const QConvShape& s) {
  cuda::IgemmInt8Conv c;
  c.batch = static_cast<int32_t>(s.n);
  c.in_h = c.out_h = static_cast<int32_t>(s.h);
  c.in_w = c.out_w = static_cast<int32_t>(s.w);
  c.in_channels = c.in_pixel_stride = static_cast<int32_t>(s.c);
  c.out_channels = static_cast<int32_t>(s.k);
  c.kernel_h = c.kernel_w = 3;
  c.pad_h = c.pad_w = 1;
  std::vector<cuda::HaloTile> tiles;
  for (cuda::HaloTile tile : cuda::kHaloTiles)
    if (cuda::halo_tile_takes(tile, c)) tiles.push_back(tile);
  return tiles;
}

class HaloIgemmConvTest : public ::testing::TestWithParam<HaloCase> {};

TEST_P(HaloIgemmConvTest, EveryTileMatchesTheReferenceAndReplaysFromACudaGraph) {
  const HaloCase& c = GetParam();
  const testing::QuantizedLayer layer = testing::int8_qconv(c.shape, c.q);
  ASSERT_TRUE(layer.expected.defined());
  const cuda::TacticProvider& provider = testing::provider_named(kProvider);
  const Status supported = provider.supports(layer.spec);
  ASSERT_TRUE(supported.ok()) << supported.to_string();

  KILN_REQUIRE_GPU();
  auto tactics = provider.tactics(layer.spec, testing::test_device());
  ASSERT_TRUE(tactics.ok()) << tactics.status().to_string();
  const cudaDeviceProp& props = testing::test_device().props;
  if (!cuda::halo_tiles_run_on(props.major, props.minor)) {
    EXPECT_TRUE(tactics->empty()) << "the halo tiles are sm_90a code";
    GTEST_SKIP() << "the halo tiles need a compute capability 9.0 GPU, not " << props.major << "." << props.minor;
  }
  ASSERT_EQ(tactics->size(), tiles_taking(c.shape).size());
  for (const cuda::Tactic& tactic : *tactics) {
    const Tensor direct = testing::expect_tactic_matches_and_replays(provider, tactic, layer);
    if (!direct.defined()) continue;
    const std::string wrong = wrong_outputs(direct, layer.expected, c.shape);
    EXPECT_TRUE(wrong.empty()) << tactic.name << ": " << wrong;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, HaloIgemmConvTest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<HaloCase>& info) { return info.param.name; });

// The reason the provider gives for refusing the layer (a test failure when it takes it).
std::string refusal(const QConvShape& shape, const QuantizedCase& q) {
  const testing::QuantizedLayer layer = testing::int8_qconv(shape, q);
  const Status s = testing::provider_named(kProvider).supports(layer.spec);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  return s.message();
}
std::string refusal(const QConvShape& shape) {
  return refusal(shape, make_case("refused", shape.n, shape.h, shape.w, shape.c, shape.k).q);
}

TEST(HaloIgemmConvTest, RefusesWithReasons) {
  // Shape fields: n, h, w, c, k, r, stride, pad, dilation, group.
  EXPECT_NE(refusal({1, 8, 8, 64, 64, 3, 2, 1}).find("stride 1"), std::string::npos);
  EXPECT_NE(refusal({1, 8, 8, 64, 64, 1, 1, 0}).find("3x3 kernels"), std::string::npos);
  EXPECT_NE(refusal({1, 8, 8, 64, 64, 3, 1, 0}).find("padding of 1 on every side"), std::string::npos);
  EXPECT_NE(refusal({1, 8, 8, 64, 64, 3, 1, 2, 2}).find("dilation 1"), std::string::npos);
  EXPECT_NE(refusal({1, 8, 8, 48, 64, 3, 1, 1}).find("multiple of 64"), std::string::npos);
  EXPECT_NE(refusal({1, 8, 8, 128, 128, 3, 1, 1, 1, 2}).find("group 2"), std::string::npos);
  EXPECT_NE(refusal({1, 2, 300, 64, 16, 3, 1, 1}).find("at most 256 pixels a row"), std::string::npos);

  const QConvShape shape{1, 8, 8, 64, 64, 3, 1, 1};
  QuantizedCase fp32_out = make_case("fp32_out", 1, 8, 8, 64, 64).q;
  fp32_out.output = DataType::kFloat32;
  EXPECT_NE(refusal(shape, fp32_out).find("folded epilogue"), std::string::npos);
  QuantizedCase fp16_residual = make_case("fp16_residual", 1, 8, 8, 64, 64).q;
  fp16_residual.residual = DataType::kFloat16;
  EXPECT_NE(refusal(shape, fp16_residual).find("folded epilogue"), std::string::npos);
}

// The tiles are sm_90a code: offered, and created, on compute capability 9.0 only.
TEST(HaloIgemmConvTest, TilesRunOnComputeCapability90Only) {
  EXPECT_TRUE(cuda::halo_tiles_run_on(9, 0));
  EXPECT_FALSE(cuda::halo_tiles_run_on(8, 9));
  EXPECT_FALSE(cuda::halo_tiles_run_on(10, 0));

  const HaloCase c = make_case("ampere", 1, 6, 6, 64, 64);
  const testing::QuantizedLayer layer = testing::int8_qconv(c.shape, c.q);
  const cuda::TacticProvider& provider = testing::provider_named(kProvider);
  cuda::DeviceContext hopper, ampere;
  hopper.props.major = 9;
  hopper.props.minor = 0;
  ampere.props.major = 8;
  ampere.props.minor = 0;
  auto offered = provider.tactics(layer.spec, hopper);
  ASSERT_TRUE(offered.ok()) << offered.status().to_string();
  ASSERT_EQ(offered->size(), std::size(cuda::kHaloTiles));
  EXPECT_EQ(offered->front().name, "kiln_halo_igemm_int8_64x64x64_wgmma_bias_to_int8");
  auto none = provider.tactics(layer.spec, ampere);
  ASSERT_TRUE(none.ok()) << none.status().to_string();
  EXPECT_TRUE(none->empty());
  auto kernel = provider.create(layer.spec, offered->front(), ampere);
  ASSERT_FALSE(kernel.ok());
  EXPECT_EQ(kernel.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(kernel.status().message().find("9.0"), std::string::npos) << kernel.status().to_string();
}

// Rows too long for a tile leave it out: 100-pixel rows fit the 128- and 256-row tiles only.
TEST(HaloIgemmConvTest, OffersTheTilesHoldingAWholeRow) {
  const HaloCase c = make_case("wide", 1, 3, 100, 64, 64);
  const testing::QuantizedLayer layer = testing::int8_qconv(c.shape, c.q);
  cuda::DeviceContext hopper;
  hopper.props.major = 9;
  hopper.props.minor = 0;
  auto tactics = testing::provider_named(kProvider).tactics(layer.spec, hopper);
  ASSERT_TRUE(tactics.ok()) << tactics.status().to_string();
  std::vector<std::string> names;
  for (const cuda::Tactic& t : *tactics) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"kiln_halo_igemm_int8_128x64x64_wgmma_bias_to_int8",
                                             "kiln_halo_igemm_int8_256x64x64_wgmma_bias_to_int8",
                                             "kiln_halo_igemm_int8_128x128x64_wgmma_bias_to_int8"}));
}

}  // namespace
}  // namespace kiln
