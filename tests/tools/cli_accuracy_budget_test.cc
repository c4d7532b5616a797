// `kiln build --int8 --accuracy-budget B --eval DIR [--eval-metric M] [--eval-batches N]` on the
// digits model: the flags reach the builder, and misuse is refused with a message naming it.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/npy.h"
#include "testing/cli_runner.h"
#include "testing/test_dir.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

class CliAccuracyBudget : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::test_temp_dir("kiln_cli_accuracy_budget_test");
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "digits");
    auto images = read_npy(kDigits + "/calibration_images.npy");
    ASSERT_TRUE(images.ok()) << images.status().to_string();
    Tensor samples(DataType::kFloat32, {images->dim(0), 1, 20, 20});
    for (int64_t i = 0; i < samples.numel(); ++i) samples.data<float>()[i] = images->data<uint8_t>()[i] / 255.f;
    ASSERT_TRUE(write_npy((dir_ / "digits" / "samples.npy").string(), samples).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  testing::CliResult build(const std::string& flags) const {
    return testing::run_cli("build " + kDigits + "/digits_cnn.onnx --no-save --report " + flags);
  }
  std::string data() const { return (dir_ / "digits").string(); }

  const std::string kDigits = std::string(KILN_SOURCE_DIR) + "/models/digits";
  fs::path dir_;
};

TEST_F(CliAccuracyBudget, FlagsReachTheBuild) {
  testing::CliResult r = build("--int8 --calib " + data() + " --accuracy-budget 0.5% --eval " + data() +
                               " --eval-batches 4");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("accuracy budget: top1 drop <= 0.005 on 64 evaluation sample(s)"), std::string::npos)
      << r.output;
  // rel-l2 with no budget at all: both quantized activations go back to float.
  r = build("--int8 --calib " + data() + " --accuracy-budget 0 --eval " + data() +
            " --eval-metric rel-l2 --eval-batches 2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("accuracy budget: rel-l2 drop <= 0 on 32 evaluation sample(s)"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("the result is all float"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("int8: 0 quantized layers"), std::string::npos) << r.output;
}

TEST_F(CliAccuracyBudget, MisuseIsRefused) {
  const std::string calib = "--int8 --calib " + data();
  const std::pair<std::string, std::string> cases[] = {
      {"--accuracy-budget 1% --eval " + data(), "--accuracy-budget needs --int8 or --fp8"},
      {calib + " --eval " + data(), "--eval, --eval-metric and --eval-batches need --accuracy-budget"},
      {calib + " --accuracy-budget 1%", "an accuracy budget needs evaluation data (--eval DIR)"},
      {calib + " --accuracy-budget 1% --eval " + data() + " --eval-metric top5", "unknown accuracy metric 'top5'"},
      {calib + " --accuracy-budget lots --eval " + data(), "the accuracy budget must be a fraction"},
  };
  for (const auto& [flags, message] : cases) {
    testing::CliResult r = build(flags);
    EXPECT_NE(r.code, 0) << flags;
    EXPECT_NE(r.output.find(message), std::string::npos) << flags << "\n" << r.output;
  }
}

}  // namespace
}  // namespace kiln
