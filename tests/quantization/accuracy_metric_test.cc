#include "quantization/accuracy_metric.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace kiln {
namespace {

Tensor random_tensor(std::vector<int64_t> dims, std::mt19937& rng, float lo, float hi) {
  Tensor t(DataType::kFloat32, std::move(dims));
  std::uniform_real_distribution<float> u(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

// `t` with noise of the given size added to each element.
Tensor perturbed(const Tensor& t, std::mt19937& rng, float noise) {
  Tensor out = random_tensor(t.dims(), rng, -noise, noise);
  for (int64_t i = 0; i < t.numel(); ++i) out.data<float>()[i] += t.data<float>()[i];
  return out;
}

double measured(AccuracyMetric metric, float threshold, const std::vector<std::pair<Tensor, Tensor>>& batches) {
  OutputDrop drop(metric, threshold);
  for (const auto& [reference, quantized] : batches) EXPECT_TRUE(drop.add(reference, quantized).ok());
  return drop.drop();
}

TEST(AccuracyMetric, Top1IsTheFractionOfRowsWhoseArgmaxDiffers) {
  std::mt19937 rng(1);
  std::vector<std::pair<Tensor, Tensor>> batches;
  int64_t differ = 0, rows = 0;
  for (int b = 0; b < 3; ++b) {
    Tensor r = random_tensor({5, 3, 7}, rng, -1, 1);  // rows: the 15 vectors along the last axis
    Tensor q = perturbed(r, rng, 0.3f);
    for (int64_t row = 0; row < 15; ++row) {
      int64_t ra = 0, qa = 0;
      for (int64_t c = 0; c < 7; ++c) {
        if (r.data<float>()[row * 7 + c] > r.data<float>()[row * 7 + ra]) ra = c;
        if (q.data<float>()[row * 7 + c] > q.data<float>()[row * 7 + qa]) qa = c;
      }
      differ += ra != qa;
      ++rows;
    }
    batches.emplace_back(r, q);
  }
  ASSERT_GT(differ, 0);  // the noise changes some rows, not all
  ASSERT_LT(differ, rows);
  EXPECT_DOUBLE_EQ(measured(AccuracyMetric::kTop1, 0.f, batches), static_cast<double>(differ) / rows);
}

TEST(AccuracyMetric, MaskIsOneMinusTheFScorePooledOverAllPixels) {
  std::mt19937 rng(2);
  std::vector<std::pair<Tensor, Tensor>> batches;
  double tp = 0, fp = 0, fn = 0;
  for (int b = 0; b < 2; ++b) {
    Tensor r = random_tensor({1, 1, 9, 11}, rng, 0, 1);
    Tensor q = perturbed(r, rng, 0.2f);
    for (int64_t i = 0; i < r.numel(); ++i) {
      const bool rp = r.data<float>()[i] > 0.3f, qp = q.data<float>()[i] > 0.3f;
      tp += rp && qp;
      fp += qp && !rp;
      fn += rp && !qp;
    }
    batches.emplace_back(r, q);
  }
  const double precision = tp / (tp + fp), recall = tp / (tp + fn);
  ASSERT_LT(precision, 1.0);
  EXPECT_NEAR(measured(AccuracyMetric::kMask, 0.3f, batches),
              1.0 - 2 * precision * recall / (precision + recall), 1e-12);
}

TEST(AccuracyMetric, EmptyMasksAgree) {
  std::mt19937 rng(3);
  Tensor r = random_tensor({2, 8}, rng, 0, 0.5f);
  EXPECT_EQ(measured(AccuracyMetric::kMask, 0.9f, {{r, perturbed(r, rng, 0.1f)}}), 0.0);
}

TEST(AccuracyMetric, RelL2IsTheNormOfTheDifferenceOverTheNormOfTheReference) {
  std::mt19937 rng(4);
  std::vector<std::pair<Tensor, Tensor>> batches;
  double diff = 0, norm = 0;
  for (int b = 0; b < 2; ++b) {
    Tensor r = random_tensor({3, 10}, rng, -2, 2);
    Tensor q = perturbed(r, rng, 0.05f);
    for (int64_t i = 0; i < r.numel(); ++i) {
      diff += std::pow(double{q.data<float>()[i]} - r.data<float>()[i], 2);
      norm += std::pow(double{r.data<float>()[i]}, 2);
    }
    batches.emplace_back(r, q);
  }
  EXPECT_NEAR(measured(AccuracyMetric::kRelL2, 0.f, batches), std::sqrt(diff) / std::sqrt(norm), 1e-12);
}

TEST(AccuracyMetric, IdenticalOutputsDropNothing) {
  std::mt19937 rng(5);
  Tensor r = random_tensor({4, 6}, rng, -1, 1);
  for (AccuracyMetric m : {AccuracyMetric::kTop1, AccuracyMetric::kMask, AccuracyMetric::kRelL2})
    EXPECT_EQ(measured(m, 0.f, {{r, r}}), 0.0);
}

TEST(AccuracyMetric, OutputsOfOtherShapesAreRefused) {
  std::mt19937 rng(6);
  OutputDrop drop(AccuracyMetric::kRelL2, 0.f);
  EXPECT_FALSE(drop.add(random_tensor({2, 3}, rng, -1, 1), random_tensor({3, 2}, rng, -1, 1)).ok());
}

TEST(AccuracyMetric, ParsesMetricsAndBudgets) {
  AccuracyBudgetConfig c;
  ASSERT_TRUE(parse_accuracy_metric("mask:0.3", c).ok());
  EXPECT_EQ(c.metric, AccuracyMetric::kMask);
  EXPECT_FLOAT_EQ(c.mask_threshold, 0.3f);
  EXPECT_EQ(accuracy_metric_name(c), "mask:0.3");
  ASSERT_TRUE(parse_accuracy_metric("rel-l2", c).ok());
  EXPECT_EQ(c.metric, AccuracyMetric::kRelL2);
  ASSERT_TRUE(parse_accuracy_metric("top1", c).ok());
  EXPECT_EQ(c.metric, AccuracyMetric::kTop1);
  for (const char* bad : {"top5", "mask", "mask:", "mask:x", ""}) {
    Status s = parse_accuracy_metric(bad, c);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.message().find("unknown accuracy metric"), std::string::npos) << s.message();
  }
  EXPECT_DOUBLE_EQ(*parse_accuracy_budget("0.5%"), 0.005);
  EXPECT_DOUBLE_EQ(*parse_accuracy_budget("0.005"), 0.005);
  EXPECT_DOUBLE_EQ(*parse_accuracy_budget("0"), 0.0);
  for (const char* bad : {"-1%", "x", "%", "1%%", ""}) EXPECT_FALSE(parse_accuracy_budget(bad).ok()) << bad;
}

}  // namespace
}  // namespace kiln
