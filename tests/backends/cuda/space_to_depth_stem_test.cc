// The space-to-depth stem's rewrite checked on the host: the blocked input (made here as the GPU
// kernel defines it) convolved with the rearranged weights at stride 1 must equal the original
// stride-2 convolution; and for int8, the blocks read through the row geometry the implicit GEMM
// takes (space_to_depth_row_geometry, addressed here as igemm_tile_loader.cuh does) must give
// the original convolution's exact sums. Runs without a GPU, on the reference kernels.
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
// channel c, or zero. T is float or int8_t.
template <class T>
Tensor blocks_of(const Tensor& x_nhwc, const cuda::SpaceToDepthStem& stem) {
  const int64_t n = x_nhwc.dims()[0], h = x_nhwc.dims()[1], w = x_nhwc.dims()[2], c = x_nhwc.dims()[3];
  const int64_t bh = stem.blocks.in_h, bw = stem.blocks.in_w;
  Tensor out(x_nhwc.dtype(), {n, bh, bw, 16});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t b = 0; b < bh; ++b)
      for (int64_t a = 0; a < bw; ++a)
        for (int64_t d = 0; d < 4; ++d)
          for (int64_t ch = 0; ch < 4; ++ch) {
            const int64_t row = 2 * b + d / 2 - stem.origin[0], col = 2 * a + d % 2 - stem.origin[1];
            const bool inside = row >= 0 && row < h && col >= 0 && col < w && ch < c;
            out.data<T>()[((i * bh + b) * bw + a) * 16 + d * 4 + ch] =
                inside ? x_nhwc.data<T>()[((i * h + row) * w + col) * c + ch] : T(0);
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
  const Tensor x_blocks = blocks_of<float>(testing::to_channels_last(x), *stem);
  const Tensor got = conv(testing::from_channels_last(x_blocks), testing::from_channels_last(w_blocks), 1, {0, 0}, {0, 0});

  ASSERT_EQ(got.dims(), expected.dims());
  EXPECT_LE(testing::relative_error(got, expected), 1e-6);
}

// Random integers in [-127, 127], as int8 and as the same values in float32.
std::pair<Tensor, Tensor> random_int8_and_float(const std::vector<int64_t>& dims, unsigned seed) {
  Tensor q = testing::random_tensor(DataType::kInt8, dims, -127.f, 127.f, seed);
  Tensor f(DataType::kFloat32, dims);
  for (int64_t i = 0; i < q.numel(); ++i) f.data<float>()[i] = q.data<int8_t>()[i];
  return {q, f};
}

// The int8 implicit GEMM's sums Y [N, OH, OW, K] over X and W addressed as its tile loader does
// (igemm_tile_loader.cuh): an output pixel's window origin ((n * in_h + ih0) * in_w + iw0) pixels
// of in_pixel_stride elements, tap (r, s) a further (r * dilation_h * in_w + s * dilation_w) pixels,
// taps outside the image skipped, then in_channels consecutive channels; W [K, taps, in_channels].
// Every X element read must lie inside `x` (the row geometry's pixels overlap up to its end).
std::vector<int32_t> implicit_gemm_sums(const cuda::ConvGeometry32& g, const std::vector<int8_t>& x,
                                        const std::vector<int8_t>& w) {
  std::vector<int32_t> y(static_cast<size_t>(g.batch) * g.out_h * g.out_w * g.out_channels, 0);
  const int taps = g.kernel_h * g.kernel_w;
  for (int n = 0; n < g.batch; ++n)
    for (int oh = 0; oh < g.out_h; ++oh)
      for (int ow = 0; ow < g.out_w; ++ow) {
        const int ih0 = oh * g.stride_h - g.pad_h, iw0 = ow * g.stride_w - g.pad_w;
        const int64_t origin = (static_cast<int64_t>(n * g.in_h + ih0) * g.in_w + iw0) * g.in_pixel_stride;
        for (int r = 0, tap = 0; r < g.kernel_h; ++r)
          for (int s = 0; s < g.kernel_w; ++s, ++tap) {
            const int ih = ih0 + r * g.dilation_h, iw = iw0 + s * g.dilation_w;
            if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) continue;
            const int64_t pixel =
                origin + (static_cast<int64_t>(r * g.dilation_h) * g.in_w + s * g.dilation_w) * g.in_pixel_stride;
            EXPECT_LE(pixel + g.in_channels, static_cast<int64_t>(x.size())) << "a read past the blocks";
            if (pixel + g.in_channels > static_cast<int64_t>(x.size())) return y;
            for (int k = 0; k < g.out_channels; ++k) {
              int32_t& sum = y[((static_cast<size_t>(n) * g.out_h + oh) * g.out_w + ow) * g.out_channels + k];
              for (int c = 0; c < g.in_channels; ++c)
                sum += int32_t{x[static_cast<size_t>(pixel + c)]} *
                       int32_t{w[(static_cast<size_t>(k) * taps + tap) * g.in_channels + c]};
            }
          }
      }
  return y;
}

TEST_P(SpaceToDepthStemTest, Int8RowGeometryGivesTheStridedConvolutionsSums) {
  const StemCase s = GetParam();
  cuda::ConvProblem p = problem_of(s);
  p.dtype = DataType::kInt8;
  p.quant = cuda::QuantizedParams{};  // a kiln.QConv: only the operand type matters to the rewrite
  auto stem = cuda::space_to_depth_stem(p);
  ASSERT_TRUE(stem.ok()) << stem.status().to_string();
  const cuda::ConvGeometry32 g = cuda::space_to_depth_row_geometry(*stem);
  EXPECT_EQ(g.kernel_w, 1);
  EXPECT_EQ(g.kernel_h, stem->blocks.kernel_h);
  EXPECT_EQ(g.in_pixel_stride, 16);
  EXPECT_EQ(g.in_channels, 16 * stem->blocks.kernel_w);
  EXPECT_EQ(g.in_channels % 16, 0) << "the implicit GEMM's channel multiple";
  EXPECT_EQ(g.stride_h, 1);
  EXPECT_EQ(g.pad_h + g.pad_w, 0);
  EXPECT_EQ(stem->block_bytes(), static_cast<size_t>(s.n * stem->blocks.in_h * stem->blocks.in_w * 16));

  const auto [x, x_float] = random_int8_and_float({s.n, s.c, s.h, s.w}, 17);
  const auto [w, w_float] = random_int8_and_float({s.k, s.c, s.kh, s.kw}, 18);
  // Exact in float: every partial sum is an integer far below 2^24.
  const Tensor expected = testing::to_channels_last(conv(x_float, w_float, 2, s.pad_begin, s.pad_end));

  const Tensor w_nhwc = testing::to_channels_last(w);
  const std::vector<uint8_t> blocked_w =
      cuda::space_to_depth_weights(*stem, p, static_cast<const uint8_t*>(w_nhwc.raw()), 1);
  ASSERT_EQ(blocked_w.size(), static_cast<size_t>(s.k * g.kernel_h * g.in_channels));
  const Tensor x_blocks = blocks_of<int8_t>(testing::to_channels_last(x), *stem);
  const std::vector<int8_t> xb(x_blocks.data<int8_t>(), x_blocks.data<int8_t>() + x_blocks.numel());
  const std::vector<int8_t> wb(blocked_w.begin(), blocked_w.end());
  const std::vector<int32_t> sums = implicit_gemm_sums(g, xb, wb);

  ASSERT_EQ(static_cast<int64_t>(sums.size()), expected.numel());
  int64_t mismatches = 0;
  for (int64_t i = 0; i < expected.numel(); ++i) mismatches += sums[static_cast<size_t>(i)] != expected.data<float>()[i];
  EXPECT_EQ(mismatches, 0);
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
  cuda::ConvProblem fp8 = p;
  fp8.dtype = DataType::kFloat8E4M3;
  fp8.quant = cuda::QuantizedParams{};
  EXPECT_FALSE(cuda::space_to_depth_stem(fp8).ok());
}

}  // namespace
}  // namespace kiln
