#include <gtest/gtest.h>

#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::NodeSpec;
using testing::random_float;
using testing::run_node;

struct Geo {
  std::vector<int64_t> strides, dilations, pads;  // pads: begins then ends
};

// Direct definition of Conv on 2-D spatial inputs (1-D uses H = 1).
std::vector<float> naive_conv(const Tensor& x, const Tensor& w, const Tensor* b, int64_t group, const Geo& g,
                              const std::vector<int64_t>& out_dims) {
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t m = w.dim(0), kh = w.dim(2), kw = w.dim(3), oh = out_dims[2], ow = out_dims[3];
  const int64_t cg = c / group, mg = m / group;
  std::vector<float> y(static_cast<size_t>(n * m * oh * ow));
  for (int64_t in = 0; in < n; ++in)
    for (int64_t om = 0; om < m; ++om)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double s = b ? b->data<float>()[om] : 0.0;
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t a = 0; a < kh; ++a)
              for (int64_t bb = 0; bb < kw; ++bb) {
                const int64_t yy = i * g.strides[0] + a * g.dilations[0] - g.pads[0];
                const int64_t xx = j * g.strides[1] + bb * g.dilations[1] - g.pads[1];
                if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
                const int64_t ch = (om / mg) * cg + ic;
                s += static_cast<double>(x.data<float>()[((in * c + ch) * h + yy) * wd + xx]) *
                     w.data<float>()[((om * cg + ic) * kh + a) * kw + bb];
              }
          y[static_cast<size_t>(((in * m + om) * oh + i) * ow + j)] = static_cast<float>(s);
        }
  return y;
}

void expect_close(const Tensor& t, const std::vector<float>& expected) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) ASSERT_NEAR(t.data<float>()[i], expected[i], 1e-4) << "element " << i;
}

NodeSpec conv_spec(const Geo& g, int64_t group) {
  return NodeSpec{"Conv",
                  {{"strides", Attribute::of_ints(g.strides)},
                   {"dilations", Attribute::of_ints(g.dilations)},
                   {"pads", Attribute::of_ints(g.pads)},
                   {"group", Attribute::of_int(group)}}};
}

TEST(ConvKernel, GroupedStridedDilatedPaddedMatchesDirectDefinition) {
  const Geo g{{2, 1}, {1, 2}, {1, 2, 0, 1}};
  const Tensor x = random_float({2, 6, 9, 8}, 1), w = random_float({4, 3, 3, 2}, 2), b = random_float({4}, 3);
  auto out = run_node(conv_spec(g, 2), {x, w, b});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  expect_close((*out)[0], naive_conv(x, w, &b, 2, g, (*out)[0].dims()));
}

TEST(ConvKernel, DepthwiseWithMultiplierAndPointwise) {
  const Geo g{{1, 1}, {1, 1}, {1, 1, 1, 1}};
  const Tensor x = random_float({1, 3, 7, 5}, 4), w = random_float({6, 1, 3, 3}, 5);
  auto dw = run_node(conv_spec(g, 3), {x, w});
  ASSERT_TRUE(dw.ok()) << dw.status().to_string();
  expect_close((*dw)[0], naive_conv(x, w, nullptr, 3, g, (*dw)[0].dims()));
  const Geo p{{1, 1}, {1, 1}, {0, 0, 0, 0}};
  const Tensor w1 = random_float({5, 3, 1, 1}, 6);
  auto pw = run_node(conv_spec(p, 1), {x, w1});
  ASSERT_TRUE(pw.ok());
  expect_close((*pw)[0], naive_conv(x, w1, nullptr, 1, p, (*pw)[0].dims()));
}

TEST(ConvKernel, OneDimensionalAndSameUpper) {
  const Tensor x = random_float({1, 2, 11}, 7), w = random_float({3, 2, 4}, 8);
  auto out = run_node(NodeSpec{"Conv", {{"auto_pad", Attribute::of_string("SAME_UPPER")}, {"strides", Attribute::of_ints({2})}}},
                      {x, w});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{1, 3, 6}));
  // SAME_UPPER with total padding 3 (5*2 + 4 - 11): 1 before, 2 after.
  const Geo g{{1, 2}, {1, 1}, {0, 1, 0, 2}};
  expect_close((*out)[0], naive_conv(x.reshaped({1, 2, 1, 11}), w.reshaped({3, 2, 1, 4}), nullptr, 1, g, {1, 3, 1, 6}));
}

TEST(ConvKernel, ThreeDimensionalMatchesStackedTwoDimensional) {
  // A 3-D conv with kernel depth 1 is a 2-D conv of each depth slice.
  const Tensor x = random_float({1, 2, 3, 5, 5}, 9), w = random_float({2, 2, 1, 3, 3}, 10);
  auto out = run_node(NodeSpec{"Conv", {}}, {x, w});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const Tensor& y = (*out)[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{1, 2, 3, 3, 3}));
  for (int64_t d = 0; d < 3; ++d) {
    Tensor slice(DataType::kFloat32, {1, 2, 5, 5});
    for (int64_t c = 0; c < 2; ++c)
      for (int64_t i = 0; i < 25; ++i) slice.data<float>()[c * 25 + i] = x.data<float>()[(c * 3 + d) * 25 + i];
    const auto expected = naive_conv(slice, w.reshaped({2, 2, 3, 3}), nullptr, 1, Geo{{1, 1}, {1, 1}, {0, 0, 0, 0}},
                                     {1, 2, 3, 3});
    for (int64_t m = 0; m < 2; ++m)
      for (int64_t i = 0; i < 9; ++i)
        EXPECT_NEAR(y.data<float>()[(m * 3 + d) * 9 + i], expected[static_cast<size_t>(m * 9 + i)], 1e-4);
  }
}

TEST(ConvKernel, ConvTransposeIsTheAdjointOfConv) {
  // <conv(x), y> == <x, conv_transpose(y)> for the same weights and geometry.
  const Geo g{{2, 2}, {1, 1}, {1, 1, 1, 1}};
  const Tensor x = random_float({1, 4, 7, 7}, 11), w = random_float({3, 4, 3, 3}, 12);
  auto conv = run_node(conv_spec(g, 1), {x, w});
  ASSERT_TRUE(conv.ok());
  const Tensor y = random_float((*conv)[0].dims(), 13);
  auto ct = run_node(NodeSpec{"ConvTranspose",
                              {{"strides", Attribute::of_ints(g.strides)},
                               {"pads", Attribute::of_ints(g.pads)},
                               {"output_shape", Attribute::of_ints({7, 7})}}},
                     {y, w});
  ASSERT_TRUE(ct.ok()) << ct.status().to_string();
  ASSERT_EQ((*ct)[0].dims(), x.dims());
  double lhs = 0, rhs = 0;
  for (int64_t i = 0; i < y.numel(); ++i) lhs += double((*conv)[0].data<float>()[i]) * y.data<float>()[i];
  for (int64_t i = 0; i < x.numel(); ++i) rhs += double(x.data<float>()[i]) * (*ct)[0].data<float>()[i];
  EXPECT_NEAR(lhs, rhs, 1e-3);
}

TEST(ConvKernel, ConvIntegerSubtractsZeroPoints) {
  const Tensor x = testing::make_tensor<uint8_t>(DataType::kUInt8, {1, 1, 2, 2}, {10, 20, 30, 40});
  const Tensor w = testing::make_tensor<uint8_t>(DataType::kUInt8, {1, 1, 1, 1}, {3});
  const Tensor xz = testing::make_tensor<uint8_t>(DataType::kUInt8, {}, {10});
  const Tensor wz = testing::make_tensor<uint8_t>(DataType::kUInt8, {}, {1});
  auto out = run_node(NodeSpec{"ConvInteger", {}}, {x, w, xz, wz});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const int32_t* y = (*out)[0].data<int32_t>();
  EXPECT_EQ(std::vector<int32_t>(y, y + 4), (std::vector<int32_t>{0, 20, 40, 60}));
}

TEST(ConvKernel, BadAttributesAreRejected) {
  const Tensor x = random_float({1, 4, 5, 5}, 14), w = random_float({2, 4, 3, 3}, 15);
  EXPECT_FALSE(run_node(NodeSpec{"Conv", {{"strides", Attribute::of_ints({1})}}}, {x, w}).ok());
  EXPECT_FALSE(run_node(NodeSpec{"Conv", {{"group", Attribute::of_int(3)}}}, {x, w}).ok());
  EXPECT_FALSE(run_node(NodeSpec{"Conv", {{"auto_pad", Attribute::of_string("SAME")}}}, {x, w}).ok());
  EXPECT_FALSE(run_node(NodeSpec{"Conv", {{"kernel_shape", Attribute::of_ints({2, 2})}}}, {x, w}).ok());
  EXPECT_FALSE(run_node(NodeSpec{"Conv", {}}, {x, random_float({2, 4, 7, 7}, 16)}).ok());  // kernel > input
  EXPECT_FALSE(run_node(NodeSpec{"Conv", {}}, {x, w, random_float({3}, 17)}).ok());        // bias size
}

}  // namespace
}  // namespace kiln
