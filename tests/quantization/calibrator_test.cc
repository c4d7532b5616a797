#include "quantization/calibrator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace kiln {
namespace {

AbsHistogram histogram_of(const std::vector<float>& values) {
  AbsHistogram h;
  h.add(values.data(), static_cast<int64_t>(values.size()));
  return h;
}

// N(0, 1) with a few far outliers: the distribution calibration exists for.
std::vector<float> gaussian_with_outliers(size_t n, float outlier, int outliers) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  for (int i = 0; i < outliers; ++i) v[static_cast<size_t>(i) * 997] = i % 2 ? outlier : -outlier;
  return v;
}

// The mean squared error of symmetric int8 fake quantization with threshold t, on the samples.
double fake_quant_mse(const std::vector<float>& v, double t) {
  const double s = t / 127;
  double e = 0;
  for (float x : v) {
    const double q = std::clamp(std::nearbyint(x / s), -127.0, 127.0) * s;
    e += (x - q) * (x - q);
  }
  return e / static_cast<double>(v.size());
}

TEST(Calibrator, MinMaxIsTheLargestMagnitude) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-2.f, 1.f);
  std::vector<float> v(1000);
  for (float& x : v) x = u(rng);
  float amax = 0.f;
  for (float x : v) amax = std::max(amax, std::fabs(x));
  EXPECT_EQ(choose_threshold(histogram_of(v), CalibrationMethod::kMinMax, 0), amax);
}

TEST(Calibrator, PercentileMatchesTheSortedSample) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(200000);
  for (float& x : v) x = u(rng);
  for (size_t i = 0; i < v.size(); i += 10) v[i] = 0.f;  // zeros count toward the percentile
  const AbsHistogram h = histogram_of(v);
  for (double p : {50.0, 99.0, 99.99}) {
    std::vector<float> a(v.size());
    std::transform(v.begin(), v.end(), a.begin(), [](float x) { return std::fabs(x); });
    std::sort(a.begin(), a.end());
    const float want = a[static_cast<size_t>(std::ceil(p / 100 * static_cast<double>(a.size()))) - 1];
    const float got = choose_threshold(h, CalibrationMethod::kPercentile, p);
    // The upper edge of the bin holding the sample percentile.
    EXPECT_GE(got, want) << p;
    EXPECT_LE(got, want + h.bin_width()) << p;
  }
}

TEST(Calibrator, EntropyClipsOutliersButNotTheBulk) {
  const std::vector<float> v = gaussian_with_outliers(1000000, 40.f, 10);
  const float t = choose_threshold(histogram_of(v), CalibrationMethod::kEntropy, 0);
  EXPECT_GT(t, 3.f);
  EXPECT_LT(t, 40.f / 4);
}

TEST(Calibrator, EntropyKeepsTheWholeRangeOfAUniformDistribution) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(500000);
  for (float& x : v) x = u(rng);
  EXPECT_GT(choose_threshold(histogram_of(v), CalibrationMethod::kEntropy, 0), 0.95f);
}

TEST(Calibrator, MseIsTheLeastErrorOnTheSamples) {
  const std::vector<float> v = gaussian_with_outliers(400000, 40.f, 2);
  const float t = choose_threshold(histogram_of(v), CalibrationMethod::kMse, 0);
  EXPECT_GT(t, 3.f);
  EXPECT_LT(t, 40.f / 2);
  // No threshold on a fine grid does noticeably better on the actual samples.
  double best = INFINITY;
  for (double g = 1.0; g <= 40.0; g += 0.05) best = std::min(best, fake_quant_mse(v, g));
  EXPECT_LE(fake_quant_mse(v, t), best * 1.02);
}

TEST(Calibrator, AllZeroTensorGetsAUsableThreshold) {
  const std::vector<float> v(64, 0.f);
  for (CalibrationMethod m : {CalibrationMethod::kEntropy, CalibrationMethod::kMinMax, CalibrationMethod::kPercentile,
                              CalibrationMethod::kMse})
    EXPECT_EQ(choose_threshold(histogram_of(v), m, 99.9), 1.f) << calibration_method_name(m);
}

TEST(Calibrator, MethodNamesRoundTrip) {
  for (CalibrationMethod m : {CalibrationMethod::kEntropy, CalibrationMethod::kMinMax, CalibrationMethod::kPercentile,
                              CalibrationMethod::kMse})
    EXPECT_EQ(*parse_calibration_method(calibration_method_name(m)), m);
  EXPECT_FALSE(parse_calibration_method("kl").ok());
}

}  // namespace
}  // namespace kiln
