// Pooling kernels against a naive 2-D pool written here, plus shapes, indices and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::make_tensor;
using testing::random_float;
using testing::run_node;

Attribute ints(std::vector<int64_t> v) { return Attribute::of_ints(std::move(v)); }

struct Pool2d {
  int64_t kh, kw, sh = 1, sw = 1, dh = 1, dw = 1, top = 0, left = 0, bottom = 0, right = 0;
};

// Straightforward 2-D pooling of one [H, W] plane. kind: 'M' max, 'A' average (excluding pads
// unless count_pads), 'L' L2.
std::vector<float> naive_pool(const float* x, int64_t h, int64_t w, const Pool2d& p, char kind, bool count_pads,
                              int64_t oh, int64_t ow, std::vector<int64_t>* argmax = nullptr) {
  std::vector<float> out;
  for (int64_t i = 0; i < oh; ++i) {
    for (int64_t j = 0; j < ow; ++j) {
      double best = -INFINITY, sum = 0;
      int64_t n = 0, padded = 0, at = -1;
      for (int64_t a = 0; a < p.kh; ++a) {
        for (int64_t b = 0; b < p.kw; ++b) {
          const int64_t y = i * p.sh - p.top + a * p.dh, xx = j * p.sw - p.left + b * p.dw;
          if (y >= -p.top && y < h + p.bottom && xx >= -p.left && xx < w + p.right) ++padded;
          if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
          const double v = x[y * w + xx];
          if (v > best) {
            best = v;
            at = y * w + xx;
          }
          sum += kind == 'L' ? v * v : v;
          ++n;
        }
      }
      if (argmax) argmax->push_back(at);
      if (kind == 'M') out.push_back(static_cast<float>(best));
      if (kind == 'A') out.push_back(static_cast<float>(sum / static_cast<double>(count_pads ? padded : n)));
      if (kind == 'L') out.push_back(static_cast<float>(std::sqrt(sum)));
    }
  }
  return out;
}

void expect_near_all(const Tensor& got, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got.data<float>()[i], want[i], tol) << "at " << i;
}

TEST(PoolKernels, MaxPoolWithPadsStridesDilationsMatchesNaive) {
  const Tensor x = random_float({2, 3, 9, 8}, 1);
  const Pool2d p{3, 2, 2, 1, 2, 1, 1, 0, 2, 1};
  auto out = run_node({"MaxPool",
                       {{"kernel_shape", ints({3, 2})},
                        {"strides", ints({2, 1})},
                        {"dilations", ints({2, 1})},
                        {"pads", ints({1, 0, 2, 1})}},
                       2},
                      {x});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  // H: (9 + 3 - 5) / 2 + 1 = 4; W: (8 + 1 - 2) / 1 + 1 = 8
  ASSERT_EQ((*out)[0].dims(), (std::vector<int64_t>{2, 3, 4, 8}));
  std::vector<float> want;
  std::vector<int64_t> want_idx;
  for (int64_t plane = 0; plane < 6; ++plane) {
    std::vector<int64_t> at;
    auto v = naive_pool(x.data<float>() + plane * 72, 9, 8, p, 'M', false, 4, 8, &at);
    want.insert(want.end(), v.begin(), v.end());
    for (int64_t a : at) want_idx.push_back(plane * 72 + a);
  }
  expect_near_all((*out)[0], want, 0);
  for (size_t i = 0; i < want_idx.size(); ++i) EXPECT_EQ((*out)[1].data<int64_t>()[i], want_idx[i]);
}

TEST(PoolKernels, MaxPoolIndicesColumnMajor) {
  const Tensor x = random_float({1, 2, 4, 5}, 2);
  auto out = run_node({"MaxPool", {{"kernel_shape", ints({2, 2})}, {"storage_order", Attribute::of_int(1)}}, 2}, {x});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const Tensor& y = (*out)[0];
  const Tensor& idx = (*out)[1];
  for (int64_t i = 0; i < y.numel(); ++i) {
    const int64_t plane = i / 12, at = idx.data<int64_t>()[i] - plane * 20;
    // Column-major: at = w * H + h.
    const int64_t h = at % 4, w = at / 4;
    EXPECT_EQ(y.data<float>()[i], x.data<float>()[plane * 20 + h * 5 + w]);
  }
}

TEST(PoolKernels, AveragePoolCountIncludePadAndCeilMode) {
  const Tensor x = random_float({1, 2, 7, 6}, 3);
  for (int64_t count_pads : {0, 1}) {
    auto out = run_node({"AveragePool",
                         {{"kernel_shape", ints({3, 3})},
                          {"strides", ints({2, 2})},
                          {"pads", ints({1, 1, 1, 1})},
                          {"ceil_mode", Attribute::of_int(1)},
                          {"count_include_pad", Attribute::of_int(count_pads)}}},
                        {x});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    // H: ceil((7 + 2 - 3) / 2) + 1 = 4; W: ceil((6 + 2 - 3) / 2) + 1 = 4 (last window starts at 5 < 6 + 1).
    ASSERT_EQ((*out)[0].dims(), (std::vector<int64_t>{1, 2, 4, 4}));
    std::vector<float> want;
    for (int64_t plane = 0; plane < 2; ++plane) {
      auto v = naive_pool(x.data<float>() + plane * 42, 7, 6, {3, 3, 2, 2, 1, 1, 1, 1, 1, 1}, 'A', count_pads, 4, 4);
      want.insert(want.end(), v.begin(), v.end());
    }
    expect_near_all((*out)[0], want);
  }
}

TEST(PoolKernels, CeilModeDropsAWindowStartingInThePadding) {
  // in 4, kernel 2, stride 2, pads 0/1: ceil(3 / 2) + 1 = 3 windows, but the third would start
  // at 4, past the input: dropped, as PyTorch does.
  auto out = run_node({"MaxPool", {{"kernel_shape", ints({2})}, {"strides", ints({2})}, {"pads", ints({0, 1})},
                                   {"ceil_mode", Attribute::of_int(1)}}},
                      {random_float({1, 1, 4}, 4)});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{1, 1, 2}));
}

TEST(PoolKernels, SamePaddingPutsTheOddPadWhereAsked) {
  const Tensor x = make_tensor<float>(DataType::kFloat32, {1, 1, 4}, {1, 5, 2, 3});
  // kernel 2, stride 1: total pad 1; SAME_UPPER pads the end, SAME_LOWER the beginning.
  auto upper = run_node({"AveragePool", {{"kernel_shape", ints({2})}, {"auto_pad", Attribute::of_string("SAME_UPPER")}}}, {x});
  auto lower = run_node({"AveragePool", {{"kernel_shape", ints({2})}, {"auto_pad", Attribute::of_string("SAME_LOWER")}}}, {x});
  ASSERT_TRUE(upper.ok() && lower.ok());
  expect_near_all((*upper)[0], {3, 3.5f, 2.5f, 3});
  expect_near_all((*lower)[0], {1, 3, 3.5f, 2.5f});
}

TEST(PoolKernels, MaxPool3dAndUint8) {
  auto out3 = run_node({"MaxPool", {{"kernel_shape", ints({2, 2, 2})}}}, {random_float({1, 1, 3, 3, 3}, 5)});
  ASSERT_TRUE(out3.ok()) << out3.status().to_string();
  EXPECT_EQ((*out3)[0].dims(), (std::vector<int64_t>{1, 1, 2, 2, 2}));
  const Tensor u = make_tensor<uint8_t>(DataType::kUInt8, {1, 1, 2, 3}, {1, 200, 3, 250, 5, 6});
  auto out = run_node({"MaxPool", {{"kernel_shape", ints({2, 2})}}}, {u});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].data<uint8_t>()[0], 250);
  EXPECT_EQ((*out)[0].data<uint8_t>()[1], 200);
}

TEST(PoolKernels, GlobalPoolsAndLpPool) {
  const Tensor x = random_float({2, 3, 4, 5}, 6);
  auto avg = run_node({"GlobalAveragePool"}, {x});
  auto max = run_node({"GlobalMaxPool"}, {x});
  auto lp = run_node({"GlobalLpPool"}, {x});
  auto lp_window = run_node({"LpPool", {{"kernel_shape", ints({4, 5})}}}, {x});
  ASSERT_TRUE(avg.ok() && max.ok() && lp.ok() && lp_window.ok());
  EXPECT_EQ((*avg)[0].dims(), (std::vector<int64_t>{2, 3, 1, 1}));
  for (int64_t plane = 0; plane < 6; ++plane) {
    double sum = 0, sq = 0, best = -INFINITY;
    for (int64_t i = 0; i < 20; ++i) {
      const double v = x.data<float>()[plane * 20 + i];
      sum += v;
      sq += v * v;
      best = std::max(best, v);
    }
    EXPECT_NEAR((*avg)[0].data<float>()[plane], sum / 20, 1e-6);
    EXPECT_EQ((*max)[0].data<float>()[plane], static_cast<float>(best));
    EXPECT_NEAR((*lp)[0].data<float>()[plane], std::sqrt(sq), 1e-5);
    EXPECT_NEAR((*lp_window)[0].data<float>()[plane], std::sqrt(sq), 1e-5);
  }
}

TEST(PoolKernels, MaxUnpoolUndoesMaxPool) {
  const Tensor x = random_float({1, 2, 4, 4}, 7);
  auto pooled = run_node({"MaxPool", {{"kernel_shape", ints({2, 2})}, {"strides", ints({2, 2})}}, 2}, {x});
  ASSERT_TRUE(pooled.ok());
  auto unpooled = run_node({"MaxUnpool", {{"kernel_shape", ints({2, 2})}, {"strides", ints({2, 2})}}},
                           {(*pooled)[0], (*pooled)[1]});
  ASSERT_TRUE(unpooled.ok()) << unpooled.status().to_string();
  const Tensor& y = (*unpooled)[0];
  ASSERT_EQ(y.dims(), x.dims());
  int nonzero = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    if (y.data<float>()[i] != 0) {
      EXPECT_EQ(y.data<float>()[i], x.data<float>()[i]);
      ++nonzero;
    }
  }
  EXPECT_EQ(nonzero, 8);

  // A larger output_shape keeps each value's coordinates.
  const Tensor shape = make_tensor<int64_t>(DataType::kInt64, {4}, {1, 2, 5, 5});
  auto wider = run_node({"MaxUnpool", {{"kernel_shape", ints({2, 2})}, {"strides", ints({2, 2})}}},
                        {(*pooled)[0], (*pooled)[1], shape});
  ASSERT_TRUE(wider.ok()) << wider.status().to_string();
  for (int64_t i = 0; i < 8; ++i) {
    const int64_t at = (*pooled)[1].data<int64_t>()[i];
    const int64_t plane = at / 16, h = at / 4 % 4, w = at % 4;
    EXPECT_EQ((*wider)[0].data<float>()[plane * 25 + h * 5 + w], (*pooled)[0].data<float>()[i]);
  }
}

TEST(PoolKernels, MaxRoiPool) {
  // One 4x4 plane 0..15; the roi covers columns 1..2, rows 0..3, pooled to 2x1.
  std::vector<float> values(16);
  for (int i = 0; i < 16; ++i) values[i] = static_cast<float>(i);
  const Tensor x = make_tensor<float>(DataType::kFloat32, {1, 1, 4, 4}, values);
  const Tensor rois = make_tensor<float>(DataType::kFloat32, {1, 5}, {0, 1, 0, 2, 3});
  auto out = run_node({"MaxRoiPool", {{"pooled_shape", ints({2, 1})}}}, {x, rois});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  expect_near_all((*out)[0], {6, 14});
  const Tensor bad = make_tensor<float>(DataType::kFloat32, {1, 5}, {3, 1, 0, 2, 3});
  EXPECT_FALSE(run_node({"MaxRoiPool", {{"pooled_shape", ints({2, 1})}}}, {x, bad}).ok());
}

TEST(PoolKernels, Errors) {
  const Tensor x = random_float({1, 1, 3, 3}, 8);
  EXPECT_FALSE(run_node({"MaxPool", {{"kernel_shape", ints({4, 4})}}}, {x}).ok());  // window too large
  EXPECT_FALSE(run_node({"MaxPool", {{"kernel_shape", ints({2})}}}, {x}).ok());     // rank mismatch
  EXPECT_FALSE(run_node({"MaxPool", {{"kernel_shape", ints({2, 2})}, {"strides", ints({1})}}}, {x}).ok());
  EXPECT_FALSE(run_node({"MaxPool", {{"kernel_shape", ints({2, 2})}, {"strides", ints({0, 1})}}}, {x}).ok());
  EXPECT_FALSE(run_node({"MaxPool", {{"kernel_shape", ints({2, 2})}, {"auto_pad", Attribute::of_string("SAME")}}}, {x}).ok());
  EXPECT_FALSE(run_node({"AveragePool", {{"kernel_shape", ints({2, 2})}, {"pads", ints({1, 1})}}}, {x}).ok());
  EXPECT_FALSE(run_node({"MaxPool", {}}, {x}).ok());  // kernel_shape is required
  const Tensor idx = make_tensor<int64_t>(DataType::kInt64, {1, 1, 1, 1}, {99});
  EXPECT_EQ(run_node({"MaxUnpool", {{"kernel_shape", ints({2, 2})}}}, {random_float({1, 1, 1, 1}, 9), idx}).status().code(),
            StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace kiln
