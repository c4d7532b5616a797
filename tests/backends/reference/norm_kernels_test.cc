// Normalization kernels against the formulas evaluated here in double.
#include <gtest/gtest.h>

#include <cmath>

#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::make_tensor;
using testing::random_float;
using testing::run_node;

struct Stats {
  double mean = 0, var = 0;
};

// Mean and population variance of the elements of x at `offsets`.
Stats stats_of(const Tensor& x, const std::vector<int64_t>& offsets) {
  Stats s;
  for (int64_t o : offsets) s.mean += x.data<float>()[o];
  s.mean /= static_cast<double>(offsets.size());
  for (int64_t o : offsets) s.var += std::pow(x.data<float>()[o] - s.mean, 2);
  s.var /= static_cast<double>(offsets.size());
  return s;
}

TEST(NormKernels, BatchNormInference) {
  const Tensor x = random_float({2, 3, 4, 5}, 31, -2, 2);
  const Tensor scale = random_float({3}, 32), bias = random_float({3}, 33), mean = random_float({3}, 34);
  const Tensor var = random_float({3}, 35, 0.5f, 2.f);
  auto out = run_node({"BatchNormalization", {{"epsilon", Attribute::of_float(1e-3f)}}}, {x, scale, bias, mean, var});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = i / 20 % 3;
    const double want = (x.data<float>()[i] - mean.data<float>()[c]) / std::sqrt(var.data<float>()[c] + 1e-3f) *
                            scale.data<float>()[c] + bias.data<float>()[c];
    EXPECT_NEAR((*out)[0].data<float>()[i], want, 1e-6 * std::max(1.0, std::abs(want)));
  }
}

TEST(NormKernels, BatchNormTrainingUsesBatchStatisticsAndBlendsRunningOnes) {
  const Tensor x = random_float({2, 3, 4}, 36, -2, 2);
  const Tensor scale = random_float({3}, 37), bias = random_float({3}, 38), mean = random_float({3}, 39);
  const Tensor var = random_float({3}, 40, 0.5f, 2.f);
  auto out = run_node({"BatchNormalization", {{"training_mode", Attribute::of_int(1)}, {"momentum", Attribute::of_float(0.8f)}}, 3, 15},
                      {x, scale, bias, mean, var});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  for (int64_t c = 0; c < 3; ++c) {
    std::vector<int64_t> offsets;
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t i = 0; i < 4; ++i) offsets.push_back((n * 3 + c) * 4 + i);
    const Stats s = stats_of(x, offsets);
    EXPECT_NEAR((*out)[1].data<float>()[c], mean.data<float>()[c] * 0.8f + s.mean * 0.2f, 1e-6);
    EXPECT_NEAR((*out)[2].data<float>()[c], var.data<float>()[c] * 0.8f + s.var * 0.2f, 1e-6);
    for (int64_t o : offsets)
      EXPECT_NEAR((*out)[0].data<float>()[o],
                  (x.data<float>()[o] - s.mean) / std::sqrt(s.var + 1e-5) * scale.data<float>()[c] + bias.data<float>()[c], 1e-5);
  }
  // Running statistics are outputs only in training mode.
  EXPECT_FALSE(run_node({"BatchNormalization", {}, 3, 15}, {x, scale, bias, mean, var}).ok());
}

TEST(NormKernels, InstanceNorm) {
  const Tensor x = random_float({2, 3, 5}, 41, -2, 2);
  const Tensor scale = random_float({3}, 42), bias = random_float({3}, 43);
  auto out = run_node({"InstanceNormalization"}, {x, scale, bias});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  for (int64_t plane = 0; plane < 6; ++plane) {
    std::vector<int64_t> offsets;
    for (int64_t i = 0; i < 5; ++i) offsets.push_back(plane * 5 + i);
    const Stats s = stats_of(x, offsets);
    const int64_t c = plane % 3;
    for (int64_t o : offsets)
      EXPECT_NEAR((*out)[0].data<float>()[o],
                  (x.data<float>()[o] - s.mean) / std::sqrt(s.var + 1e-5) * scale.data<float>()[c] + bias.data<float>()[c], 1e-5);
  }
}

TEST(NormKernels, LayerNormWithStatisticsOutputsAndBroadcastScale) {
  const Tensor x = random_float({2, 3, 4}, 44, -2, 2);
  const Tensor scale = random_float({4}, 45), bias = random_float({3, 1}, 46);  // broadcast to [3, 4]
  auto out = run_node({"LayerNormalization", {{"axis", Attribute::of_int(1)}}, 3}, {x, scale, bias});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  ASSERT_EQ((*out)[1].dims(), (std::vector<int64_t>{2, 1, 1}));
  ASSERT_EQ((*out)[1].dtype(), DataType::kFloat32);
  for (int64_t row = 0; row < 2; ++row) {
    std::vector<int64_t> offsets;
    for (int64_t i = 0; i < 12; ++i) offsets.push_back(row * 12 + i);
    const Stats s = stats_of(x, offsets);
    EXPECT_NEAR((*out)[1].data<float>()[row], s.mean, 1e-6);
    EXPECT_NEAR((*out)[2].data<float>()[row], 1 / std::sqrt(s.var + 1e-5), 1e-5);
    for (int64_t i = 0; i < 12; ++i)
      EXPECT_NEAR((*out)[0].data<float>()[row * 12 + i],
                  (x.data<float>()[row * 12 + i] - s.mean) / std::sqrt(s.var + 1e-5) * scale.data<float>()[i % 4] +
                      bias.data<float>()[i / 4],
                  1e-5);
  }
  EXPECT_FALSE(run_node({"LayerNormalization", {{"axis", Attribute::of_int(3)}}}, {x, scale}).ok());
  EXPECT_FALSE(run_node({"LayerNormalization"}, {x, random_float({5}, 47)}).ok());
}

TEST(NormKernels, GroupNormAndMeanVarianceNorm) {
  const Tensor x = random_float({2, 4, 3}, 48, -2, 2);
  const Tensor scale = random_float({2}, 49), bias = random_float({2}, 50);
  auto gn = run_node({"GroupNormalization", {{"num_groups", Attribute::of_int(2)}}, 1, 18}, {x, scale, bias});
  ASSERT_TRUE(gn.ok()) << gn.status().to_string();
  for (int64_t group = 0; group < 4; ++group) {
    std::vector<int64_t> offsets;
    for (int64_t i = 0; i < 6; ++i) offsets.push_back(group * 6 + i);
    const Stats s = stats_of(x, offsets);
    const int64_t g = group % 2;
    for (int64_t o : offsets)
      EXPECT_NEAR((*gn)[0].data<float>()[o],
                  (x.data<float>()[o] - s.mean) / std::sqrt(s.var + 1e-5) * scale.data<float>()[g] + bias.data<float>()[g], 1e-5);
  }
  EXPECT_FALSE(run_node({"GroupNormalization", {{"num_groups", Attribute::of_int(3)}}, 1, 18}, {x, scale, bias}).ok());

  const Tensor y = random_float({2, 3, 2, 2}, 51, -2, 2);
  auto mvn = run_node({"MeanVarianceNormalization"}, {y});
  ASSERT_TRUE(mvn.ok()) << mvn.status().to_string();
  for (int64_t c = 0; c < 3; ++c) {
    std::vector<int64_t> offsets;
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t i = 0; i < 4; ++i) offsets.push_back((n * 3 + c) * 4 + i);
    const Stats s = stats_of(y, offsets);
    for (int64_t o : offsets)
      EXPECT_NEAR((*mvn)[0].data<float>()[o], (y.data<float>()[o] - s.mean) / (std::sqrt(s.var) + 1e-9), 1e-5);
  }
}

TEST(NormKernels, LrnAndLpNormalization) {
  const Tensor x = random_float({1, 5, 2}, 52, -2, 2);
  auto lrn = run_node({"LRN", {{"size", Attribute::of_int(4)}, {"alpha", Attribute::of_float(0.1f)}}}, {x});
  ASSERT_TRUE(lrn.ok()) << lrn.status().to_string();
  for (int64_t c = 0; c < 5; ++c)
    for (int64_t i = 0; i < 2; ++i) {
      double sq = 0;  // size 4: channels c-1 .. c+2
      for (int64_t k = std::max<int64_t>(0, c - 1); k <= std::min<int64_t>(4, c + 2); ++k) sq += std::pow(x.data<float>()[k * 2 + i], 2);
      EXPECT_NEAR((*lrn)[0].data<float>()[c * 2 + i], x.data<float>()[c * 2 + i] / std::pow(1 + 0.1 / 4 * sq, 0.75), 1e-6);
    }
  EXPECT_FALSE(run_node({"LRN"}, {x}).ok());  // size is required

  const Tensor v = make_tensor<float>(DataType::kFloat32, {2, 2}, {3, 4, 0, 0});
  auto l2 = run_node({"LpNormalization"}, {v});
  auto l1 = run_node({"LpNormalization", {{"axis", Attribute::of_int(0)}, {"p", Attribute::of_int(1)}}}, {v});
  ASSERT_TRUE(l2.ok() && l1.ok());
  const std::vector<float> want2 = {0.6f, 0.8f, 0, 0}, want1 = {1, 1, 0, 0};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR((*l2)[0].data<float>()[i], want2[i], 1e-6);
    EXPECT_NEAR((*l1)[0].data<float>()[i], want1[i], 1e-6);
  }
  EXPECT_FALSE(run_node({"LpNormalization", {{"p", Attribute::of_int(3)}}}, {v}).ok());
}

}  // namespace
}  // namespace kiln
