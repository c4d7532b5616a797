// The space-to-depth stem's rewrite checked on the host: the blocked input (made here as the GPU
// kernel defines it) convolved with the rearranged weights at stride 1 must equal the original
// stride-2 convolution. Runs without a GPU, on the reference kernels.
#include "backends/cuda/cudnn/space_to_depth_stem.h"

#include <gtest/gtest.h>

#include "gpu_layer_runner.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::NodeSpec;

struct StemCase {
  int64_t n, c, h, w, k, kh, kw;
  std::array<int64_t, 2> pad_begin, pad_end;
};

// The ConvProblem conv_problem() would read for this channels-last layer.
cuda::ConvProblem problem_of(const StemCase& s) {
  cuda::ConvProblem p;
  p.dtype = DataType::kFloat32;
  p.batch = s.n;
  p.in_channels = s.c;
  p.in_h = s.h;
  p.in_w = s.w;
  p.out_channels = s.k;
  p.kernel_h = s.kh;
  p.kernel_w = s.kw;
  p.stride = {2, 2};
  p.dilation = {1, 1};
  p.pad_begin = s.pad_begin;
  p.pad_end = s.pad_end;
  p.out_h = (s.h + s.pad_begin[0] + s.pad_end[0] - s.kh) / 2 + 1;
  p.out_w = (s.w + s.pad_begin[1] + s.pad_end[1] - s.kw) / 2 + 1;
  return p;
}

Tensor conv(const Tensor& x, const Tensor& w, int64_t stride, const std::array<int64_t, 2>& begin,
            const std::array<int64_t, 2>& end) {
  NodeSpec spec;
  spec.op_type = "Conv";
  spec.attrs["strides"] = Attribute::of_ints({stride, stride});
  spec.attrs["pads"] = Attribute::of_ints({begin[0], begin[1], end[0], end[1]});
  auto y = testing::run_node(spec, {x, w});
  EXPECT_TRUE(y.ok()) << y.status().to_string();
  return y.ok() ? (*y)[0] : Tensor();
}

// Block (b, a) channel (dy * 2 + dx) * 4 + c holds pixel (2b + dy - origin_h, 2a + dx - origin_w)
// channel c, or zero.
Tensor blocks_of(const Tensor& x_nhwc, const cuda::SpaceToDepthStem& stem) {
  const int64_t n = x_nhwc.dims()[0], h = x_nhwc.dims()[1], w = x_nhwc.dims()[2], c = x_nhwc.dims()[3];
  const int64_t bh = stem.blocks.in_h, bw = stem.blocks.in_w;
  Tensor out(DataType::kFloat32, {n, bh, bw, 16});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t b = 0; b < bh; ++b)
      for (int64_t a = 0; a < bw; ++a)
        for (int64_t d = 0; d < 4; ++d)
          for (int64_t ch = 0; ch < 4; ++ch) {
            const int64_t row = 2 * b + d / 2 - stem.origin[0], col = 2 * a + d % 2 - stem.origin[1];
            const bool inside = row >= 0 && row < h && col >= 0 && col < w && ch < c;
            out.data<float>()[((i * bh + b) * bw + a) * 16 + d * 4 + ch] =
                inside ? x_nhwc.data<float>()[((i * h + row) * w + col) * c + ch] : 0.f;
          }
  return out;
}

class SpaceToDepthStemTest : public ::testing::TestWithParam<StemCase> {};

TEST_P(SpaceToDepthStemTest, BlockedConvolutionEqualsTheStridedOne) {
  const StemCase s = GetParam();
  const cuda::ConvProblem p = problem_of(s);
  auto stem = cuda::space_to_depth_stem(p);
  ASSERT_TRUE(stem.ok()) << stem.status().to_string();
  EXPECT_EQ(stem->blocks.in_channels, 16);
  EXPECT_EQ(stem->blocks.stride, (std::array<int64_t, 2>{1, 1}));

  const Tensor x = testing::random_tensor(DataType::kFloat32, {s.n, s.c, s.h, s.w}, -1.f, 1.f, 7);
  const Tensor w = testing::random_tensor(DataType::kFloat32, {s.k, s.c, s.kh, s.kw}, -1.f, 1.f, 8);
  const Tensor expected = conv(x, w, 2, s.pad_begin, s.pad_end);

  const Tensor w_nhwc = testing::to_channels_last(w);
  const std::vector<uint8_t> blocked_w =
      cuda::space_to_depth_weights(*stem, p, static_cast<const uint8_t*>(w_nhwc.raw()), sizeof(float));
  Tensor w_blocks(DataType::kFloat32, {s.k, stem->blocks.kernel_h, stem->blocks.kernel_w, 16});
  ASSERT_EQ(blocked_w.size(), w_blocks.nbytes());
  std::memcpy(w_blocks.raw(), blocked_w.data(), blocked_w.size());
  const Tensor x_blocks = blocks_of(testing::to_channels_last(x), *stem);
  const Tensor got = conv(testing::from_channels_last(x_blocks), testing::from_channels_last(w_blocks), 1, {0, 0}, {0, 0});

  ASSERT_EQ(got.dims(), expected.dims());
  EXPECT_LE(testing::relative_error(got, expected), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Geometries, SpaceToDepthStemTest,
                         ::testing::Values(StemCase{2, 3, 23, 20, 5, 7, 7, {3, 3}, {3, 3}},   // ResNet stem
                                           StemCase{1, 1, 9, 11, 4, 3, 3, {1, 1}, {1, 1}},    // grayscale
                                           StemCase{1, 4, 10, 12, 3, 4, 4, {0, 0}, {0, 0}},   // even kernel
                                           StemCase{3, 2, 13, 8, 6, 5, 3, {2, 0}, {1, 1}},    // uneven pads
                                           StemCase{1, 3, 16, 16, 2, 3, 5, {0, 1}, {1, 2}}));

TEST(SpaceToDepthStemTest, RefusesWhatItCannotRewrite) {
  cuda::ConvProblem p = problem_of(StemCase{1, 3, 16, 16, 8, 7, 7, {3, 3}, {3, 3}});
  cuda::ConvProblem wide = p;
  wide.in_channels = 8;
  EXPECT_FALSE(cuda::space_to_depth_stem(wide).ok());
  cuda::ConvProblem stride1 = p;
  stride1.stride = {1, 1};
  EXPECT_FALSE(cuda::space_to_depth_stem(stride1).ok());
  cuda::ConvProblem dilated = p;
  dilated.dilation = {2, 2};
  EXPECT_FALSE(cuda::space_to_depth_stem(dilated).ok());
  cuda::ConvProblem nchw = p;
  nchw.channels_last = false;
  EXPECT_FALSE(cuda::space_to_depth_stem(nchw).ok());
}

}  // namespace
}  // namespace kiln
