#include "quantization/calibration_cache.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

namespace kiln {
namespace {

namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("kiln_calibration_cache_test_" + name)).string();
}

TEST(CalibrationCache, ScalesReadBackBitIdentical) {
  std::mt19937 rng(21);
  std::uniform_real_distribution<float> exponent(-20.f, 4.f);
  std::vector<std::pair<std::string, float>> scales;
  for (int i = 0; i < 200; ++i) scales.emplace_back("layer " + std::to_string(i) + ": out", std::exp2(exponent(rng)));
  CalibrationConfig config;
  const std::string header = calibration_cache_header(config);
  const std::string path = temp_path("round_trip");
  ASSERT_TRUE(write_calibration_cache(path, header, scales).ok());
  auto read = read_calibration_cache(path, header);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  ASSERT_EQ(read->size(), scales.size());
  for (const auto& [name, scale] : scales) {
    ASSERT_TRUE(read->count(name)) << name;
    const float got = read->at(name);
    EXPECT_EQ(std::memcmp(&got, &scale, sizeof(float)), 0) << name << ": " << got << " vs " << scale;
  }
  fs::remove(path);
}

TEST(CalibrationCache, HeaderNamesMethodAndVersion) {
  CalibrationConfig config;
  config.method = CalibrationMethod::kPercentile;
  config.percentile = 99.9;
  const std::string header = calibration_cache_header(config);
  EXPECT_NE(header.find("percentile(99.9)"), std::string::npos) << header;
  EXPECT_NE(header.find(KILN_VERSION), std::string::npos) << header;
}

TEST(CalibrationCache, AnotherMethodIsRefused) {
  CalibrationConfig entropy, minmax;
  entropy.method = CalibrationMethod::kEntropy;
  minmax.method = CalibrationMethod::kMinMax;
  const std::string path = temp_path("method");
  ASSERT_TRUE(write_calibration_cache(path, calibration_cache_header(entropy), {{"x", 0.5f}}).ok());
  auto read = read_calibration_cache(path, calibration_cache_header(minmax));
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("method=entropy"), std::string::npos) << read.status().to_string();
  fs::remove(path);
}

TEST(CalibrationCache, MalformedLinesAreErrorsNamingTheLine) {
  CalibrationConfig config;
  const std::string header = calibration_cache_header(config);
  for (const std::string bad : {"x 0.5", "x: -1", "x: 0.5abc", "x: 0.5\nx: 0.25"}) {
    const std::string path = temp_path("malformed");
    std::ofstream(path) << header << "\n" << bad << "\n";
    auto read = read_calibration_cache(path, header);
    EXPECT_FALSE(read.ok()) << bad;
    if (!read.ok()) {
      EXPECT_NE(read.status().message().find("line"), std::string::npos) << read.status().to_string();
    }
    fs::remove(path);
  }
}

}  // namespace
}  // namespace kiln
