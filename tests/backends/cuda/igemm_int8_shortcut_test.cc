// The fused shortcut layer (igemm_int8_shortcut_provider.h): a block's 1x1 convolution and its
// projection shortcut (1x1, stride 1 or 2) in one reduction. Every wgmma tile on the GPU against
// the kernel's arithmetic replayed on the host from exact int32 sums (bit-exact, directly and
// from a CUDA graph), and within the quantized comparison of the float result the reference
// computes; the layers other providers must refuse, the plans that are refused with reasons, and
// which lowered blocks shortcut_conv_fusable joins (no GPU needed for those).
#include "backends/cuda/kernels/igemm/igemm_int8_shortcut_provider.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "backends/cuda/kernels/igemm/igemm_int8_conv.h"
#include "builder/bottleneck_block.h"
#include "builder/shortcut_conv_fusion.h"
#include "gpu_layer_runner.h"
#include "gtest/gtest.h"
#include "ir/ops/fused_ops.h"
#include "quantized_layer_testing.h"

namespace kiln {
namespace {

constexpr std::string_view kProvider = "kiln_igemm_int8_shortcut";

struct ShortcutCase {
  std::string name;
  int64_t n = 1, h = 8, w = 8;  // the output (and the block convolution's X) pixels
  int64_t c = 64, k = 256;      // the block convolution's channels in and out
  int64_t shortcut_c = 64, stride = 1;
  bool relu = true;
  float y_scale = 0.25f;
};

// Both convolutions' inputs, nodes, the fused layer's spec and its expected outputs.
struct ShortcutLayer {
  std::unique_ptr<testing::OwnedNode> conv, shortcut;
  std::vector<Tensor> inputs;  // conv's 8 slots, then the shortcut's 5
  cuda::LayerSpec spec;
  Tensor exact;     // the kernel's arithmetic on the host
  Tensor rounded;   // the float result rounded once (the reference body's value)
};

Tensor scalar(float v) {
  Tensor t(DataType::kFloat32, {});
  t.data<float>()[0] = v;
  return t;
}

// Exact int32 sums of a 1x1 convolution of stride `stride` over NHWC x and [K, 1, 1, C] w, for
// output pixels [n, oh, ow].
std::vector<int32_t> pointwise_sums(const Tensor& x, const Tensor& w, int64_t stride, int64_t oh, int64_t ow) {
  const int64_t n = x.dims()[0], h = x.dims()[1], wd = x.dims()[2], c = x.dims()[3], k = w.dims()[0];
  std::vector<int32_t> sums(static_cast<size_t>(n * oh * ow * k));
  for (int64_t b = 0; b < n; ++b)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t xx = 0; xx < ow; ++xx) {
        const int8_t* px = x.data<int8_t>() + ((b * h + y * stride) * wd + xx * stride) * c;
        for (int64_t o = 0; o < k; ++o) {
          int32_t s = 0;
          for (int64_t i = 0; i < c; ++i) s += int32_t{px[i]} * w.data<int8_t>()[o * c + i];
          sums[static_cast<size_t>(((b * oh + y) * ow + xx) * k + o)] = s;
        }
      }
  return sums;
}

int8_t saturate(float v) { return static_cast<int8_t>(std::clamp(std::nearbyint(v), -128.f, 127.f)); }

ShortcutLayer make_layer(const ShortcutCase& s) {
  ShortcutLayer l;
  const Tensor xa = testing::random_int8({s.n, s.h, s.w, s.c}, 11);
  const Tensor wa = testing::random_int8({s.k, 1, 1, s.c}, 12);
  const Tensor xb = testing::random_int8({s.n, s.h * s.stride, s.w * s.stride, s.shortcut_c}, 13);
  const Tensor wb = testing::random_int8({s.k, 1, 1, s.shortcut_c}, 14);
  const Tensor wscale_a = testing::random_tensor(DataType::kFloat32, {s.k}, 0.002f, 0.02f, 15);
  const Tensor wscale_b = testing::random_tensor(DataType::kFloat32, {s.k}, 0.002f, 0.02f, 16);
  const Tensor bias_a = testing::random_tensor(DataType::kFloat32, {s.k}, -2.f, 2.f, 17);
  const Tensor bias_b = testing::random_tensor(DataType::kFloat32, {s.k}, -2.f, 2.f, 18);
  const float xscale_a = 0.03f, xscale_b = 0.05f;

  std::map<std::string, Attribute> conv_attrs = {{"strides", Attribute::of_ints({1, 1})}};
  if (s.relu) conv_attrs["activation"] = Attribute::of_string("Relu");
  l.inputs = {xa, wa, scalar(xscale_a), wscale_a, bias_a, Tensor(), Tensor(), scalar(s.y_scale)};
  l.conv = testing::node_in_graph("QConv", std::string(kKilnDomain), 1, conv_attrs, l.inputs);
  const std::vector<Tensor> shortcut_inputs = {xb, wb, scalar(xscale_b), wscale_b, bias_b};
  l.shortcut = testing::node_in_graph("QConv", std::string(kKilnDomain), 1,
                                      {{"strides", Attribute::of_ints({s.stride, s.stride})},
                                       {"output_dtype", Attribute::of_int(1)}},
                                      shortcut_inputs);
  l.inputs.insert(l.inputs.end(), shortcut_inputs.begin(), shortcut_inputs.end());
  // The spec over all 13 inputs: X (and the shortcut's X) activations, the rest host constants
  // pointing into l.inputs (moved with the layer, never reallocated).
  l.spec.node = l.spec.op = l.conv->node;
  l.spec.shortcut = l.shortcut->node;
  l.spec.shortcut_input_begin = 8;
  l.spec.channels_last = true;
  for (size_t i = 0; i < l.inputs.size(); ++i) {
    const size_t slot = i < 8 ? i : i - 8;
    l.spec.node_input_of_op.push_back(static_cast<int>(i));
    l.spec.input_nhwc.push_back(slot == kQInput || slot == kQWeights);
    if (!l.inputs[i].defined()) {
      l.spec.inputs.push_back(std::nullopt);
      continue;
    }
    l.spec.inputs.push_back(cuda::TensorDesc{l.inputs[i].dtype(), l.inputs[i].dims(),
                                             slot == kQInput ? nullptr : &l.inputs[i]});
  }
  l.spec.outputs.push_back({DataType::kInt8, {s.n, s.h, s.w, s.k}, nullptr});

  const std::vector<int32_t> sa = pointwise_sums(xa, wa, 1, s.h, s.w), sb = pointwise_sums(xb, wb, s.stride, s.h, s.w);
  l.exact = Tensor(DataType::kInt8, {s.n, s.h, s.w, s.k});
  l.rounded = Tensor(DataType::kInt8, {s.n, s.h, s.w, s.k});
  const float lower = s.relu ? 0.f : -128.f;
  for (size_t i = 0; i < sa.size(); ++i) {
    const size_t o = i % static_cast<size_t>(s.k);
    const float ca = xscale_a * wscale_a.data<float>()[o], cb = xscale_b * wscale_b.data<float>()[o];
    // The kernel: a's sums into b's units (float product, rounded to nearest even), b's added,
    // then the folded epilogue (one fused multiply-add) and the saturating round.
    const int32_t acc = static_cast<int32_t>(std::nearbyint(static_cast<float>(sa[i]) * (ca / cb))) + sb[i];
    const float folded = std::fmaf(static_cast<float>(acc), cb / s.y_scale,
                                   (bias_a.data<float>()[o] + bias_b.data<float>()[o]) / s.y_scale);
    l.exact.data<int8_t>()[i] = saturate(std::max(folded, lower));
    // The float network: both convolutions' values added, then quantized once.
    const double value = double{sa[i]} * ca + bias_a.data<float>()[o] + double{sb[i]} * cb + bias_b.data<float>()[o];
    l.rounded.data<int8_t>()[i] = saturate(std::max(static_cast<float>(value / s.y_scale), lower));
  }
  return l;
}

class IgemmInt8ShortcutTest : public ::testing::TestWithParam<ShortcutCase> {};

TEST_P(IgemmInt8ShortcutTest, EveryTileMatchesTheHostArithmeticAndReplaysFromACudaGraph) {
  const ShortcutLayer l = make_layer(GetParam());
  const cuda::TacticProvider& provider = testing::provider_named(kProvider);
  ASSERT_TRUE(provider.runs_shortcut_conv());
  const Status takes = provider.takes(l.spec);
  ASSERT_TRUE(takes.ok()) << takes.to_string();
  // No other provider is offered the fused layer: it would run the block convolution alone.
  for (const char* other : {"kiln_igemm_int8_conv", "kiln_direct_quantized", "cudnn_conv", "kiln_halo_igemm_int8_conv"})
    EXPECT_FALSE(testing::provider_named(other).takes(l.spec).ok()) << other;

  KILN_REQUIRE_GPU();
  const auto tactics = provider.tactics(l.spec, testing::test_device());
  ASSERT_TRUE(tactics.ok()) << tactics.status().to_string();
  // The wgmma tiles, each one tactic.
  EXPECT_EQ(tactics->size(), static_cast<size_t>(std::count_if(std::begin(cuda::kIgemmTiles), std::end(cuda::kIgemmTiles),
                                                               cuda::igemm_tile_is_wgmma)));
  for (const cuda::Tactic& t : *tactics) {
    auto run = testing::run_direct_and_captured(provider, t, l.spec, l.inputs);
    ASSERT_TRUE(run.ok()) << t.name << ": " << run.status().to_string();
    EXPECT_EQ(std::memcmp(run->direct.raw(), l.exact.raw(), l.exact.nbytes()), 0) << t.name;
    EXPECT_EQ(std::memcmp(run->direct.raw(), run->replayed.raw(), l.exact.nbytes()), 0) << t.name;
    testing::expect_quantized_match(run->direct, l.rounded, t.name);
  }
}

std::vector<ShortcutCase> cases() {
  std::vector<ShortcutCase> v;
  // ResNet-50's four projection blocks, small: layer1 (64 -> 256, shortcut 64, stride 1), then
  // stride-2 shortcuts over twice the channels the block convolution reads.
  v.push_back({"layer1_like_batch2_7x9", 2, 7, 9, 64, 256, 64, 1, true});
  v.push_back({"layer2_like_stride2", 2, 6, 5, 128, 512, 256, 2, true});
  v.push_back({"layer3_like_stride2", 1, 3, 4, 256, 1024, 512, 2, true});
  // 48 output channels (a partial tile), 16-channel inputs, no activation (signed outputs).
  v.push_back({"k48_c16_no_activation", 1, 5, 7, 16, 48, 32, 2, false, 0.05f});
  // 577 tiles of 128 pixels: more than an H100 holds blocks of the persistent tile (132 SMs x 2),
  // so each block runs two or three in turn, the shortcut's steps after c's in every one.
  v.push_back({"many_tiles_batch32_48x48", 32, 48, 48, 16, 16, 32, 1, true});
  return v;
}

INSTANTIATE_TEST_SUITE_P(Cases, IgemmInt8ShortcutTest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<ShortcutCase>& info) { return info.param.name; });

// What the plan refuses, with the reasons: a shortcut with an activation or an int8 output, and
// outputs of different sizes.
TEST(IgemmInt8ShortcutTest, RefusesWithReasons) {
  const ShortcutLayer l = make_layer({"refused", 1, 4, 4, 16, 32, 16, 1, true});
  cuda::LayerSpec shortcut = cuda::shortcut_spec(l.spec);
  ASSERT_TRUE(cuda::shortcut_conv_plan(l.spec, shortcut).ok());
  auto relu = testing::node_in_graph("QConv", std::string(kKilnDomain), 1,
                                     {{"activation", Attribute::of_string("Relu")}, {"output_dtype", Attribute::of_int(1)}},
                                     std::vector<Tensor>(l.inputs.begin() + 8, l.inputs.end()));
  cuda::LayerSpec with_relu = shortcut;
  with_relu.op = relu->node;
  const Status activation = cuda::shortcut_conv_plan(l.spec, with_relu).status();
  EXPECT_NE(activation.message().find("plain float sum"), std::string::npos) << activation.to_string();
  cuda::LayerSpec smaller = shortcut;
  smaller.outputs[0].dims[1] = 3;
  smaller.inputs[kQInput]->dims[1] = 3;
  const Status sizes = cuda::shortcut_conv_plan(l.spec, smaller).status();
  EXPECT_NE(sizes.message().find("the shortcut gives"), std::string::npos) << sizes.to_string();
  cuda::LayerSpec plain = l.spec;
  plain.shortcut = nullptr;
  EXPECT_FALSE(testing::provider_named(kProvider).takes(plain).ok());
}

// shortcut_conv_fusable on lowered bottleneck blocks: stride 1 and 2 join; channels the implicit
// GEMM does not take (24, not a multiple of 16) do not.
int fused_blocks(const testing::BlockOptions& o) {
  testing::GraphBuilder b(13);
  testing::build_bottleneck_block(b, o);
  std::unique_ptr<Graph> lowered = testing::lowered_bottleneck_block(b);
  auto events = fuse_shortcut_conv(*lowered, cuda::shortcut_conv_fusable);
  EXPECT_TRUE(events.ok()) << events.status().to_string();
  return events.ok() ? static_cast<int>(events->size()) : -1;
}

TEST(ShortcutConvFusable, ResNetProjectionBlocks) {
  EXPECT_EQ(fused_blocks({1, true, false}), 1);
  EXPECT_EQ(fused_blocks({2, true, false}), 1);
  testing::BlockOptions odd;
  odd.out_channels = 24;
  EXPECT_EQ(fused_blocks(odd), 0);
}

}  // namespace
}  // namespace kiln
