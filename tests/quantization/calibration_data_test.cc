#include "quantization/calibration_data.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "core/npy.h"
#include "testing/node_runner.h"
#include "testing/test_dir.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;
using testing::random_float;

class CalibrationDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::test_temp_dir("kiln_calibration_data_test");
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `t` as folder/<name>.npy and remembers its values in order.
  void write(const fs::path& folder, const std::string& name, const Tensor& t) {
    fs::create_directories(folder);
    ASSERT_TRUE(write_npy((folder / (name + ".npy")).string(), t).ok());
    const float* p = t.data<float>();
    samples_.insert(samples_.end(), p, p + t.numel());
  }

  CalibrationConfig config(int batch_size = 4, int max_batches = 0) const {
    CalibrationConfig c;
    c.data_dir = dir_.string();
    c.batch_size = batch_size;
    c.max_batches = max_batches;
    return c;
  }

  // Every batch next() gives, for the first input.
  std::vector<Tensor> all_batches(CalibrationData& data) {
    std::vector<Tensor> batches;
    for (;;) {
      auto b = data.next();
      EXPECT_TRUE(b.ok()) << b.status().to_string();
      if (!b.ok() || b->empty()) return batches;
      batches.push_back((*b)[0]);
    }
  }

  fs::path dir_;
  std::vector<float> samples_;  // what the files hold, in sorted name order
};

TEST_F(CalibrationDataTest, BatchesAndSingleSamplesInNameOrder) {
  write(dir_, "a", random_float({5, 2, 3}, 1));
  write(dir_, "b", random_float({2, 3}, 2));  // one sample
  write(dir_, "c", random_float({3, 2, 3}, 3));
  const std::vector<CalibrationInput> inputs{{"x", DataType::kFloat32, {-1, 2, 3}}};
  auto data = CalibrationData::open(config(4), inputs);
  ASSERT_TRUE(data.ok()) << data.status().to_string();
  const auto batches = all_batches(**data);
  ASSERT_EQ(batches.size(), 3u);  // 9 samples: 4, 4, 1
  std::vector<float> got;
  for (const Tensor& b : batches) {
    EXPECT_EQ(b.dims()[1], 2);
    got.insert(got.end(), b.data<float>(), b.data<float>() + b.numel());
  }
  EXPECT_EQ(batches[2].dim(0), 1);
  EXPECT_EQ(got, samples_);
}

TEST_F(CalibrationDataTest, StaticBatchDropsTheShortLastBatchAndLimitCounts) {
  write(dir_, "a", random_float({9, 2}, 4));
  const std::vector<CalibrationInput> inputs{{"x", DataType::kFloat32, {4, 2}}};
  auto data = CalibrationData::open(config(), inputs);
  ASSERT_TRUE(data.ok()) << data.status().to_string();
  EXPECT_EQ(all_batches(**data).size(), 2u);
  auto limited = CalibrationData::open(config(4, 1), inputs);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(all_batches(**limited).size(), 1u);
}

TEST_F(CalibrationDataTest, OneSubfolderPerInput) {
  write(dir_ / "x", "0", random_float({3, 2}, 5));
  write(dir_ / "y", "0", random_float({3, 4}, 6));
  const std::vector<CalibrationInput> inputs{{"x", DataType::kFloat32, {-1, 2}}, {"y", DataType::kFloat32, {-1, 4}}};
  auto data = CalibrationData::open(config(2), inputs);
  ASSERT_TRUE(data.ok()) << data.status().to_string();
  auto b = (*data)->next();
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 2u);
  EXPECT_EQ((*b)[0].dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ((*b)[1].dims(), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(std::vector<float>((*b)[1].data<float>(), (*b)[1].data<float>() + 8),
            std::vector<float>(samples_.begin() + 6, samples_.begin() + 14));
}

TEST_F(CalibrationDataTest, MismatchesAreErrorsNamingTheFile) {
  write(dir_, "a", random_float({2, 5}, 7));
  const std::vector<CalibrationInput> inputs{{"x", DataType::kFloat32, {-1, 2}}};
  auto data = CalibrationData::open(config(), inputs);
  ASSERT_TRUE(data.ok());
  auto b = (*data)->next();
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("a.npy"), std::string::npos) << b.status().to_string();
  // Several inputs need a subfolder each.
  EXPECT_FALSE(CalibrationData::open(config(), {{"x", DataType::kFloat32, {-1, 5}}, {"y", DataType::kFloat32, {-1}}}).ok());
}

}  // namespace
}  // namespace kiln
