// `kiln build --int8 --calib DIR`: calibration from a folder of PNG images through the CLI flags,
// and the cache that makes the next build skip it.
#include <gtest/gtest.h>
#include <stb_image_write.h>

#include <filesystem>
#include <fstream>

#include "core/npy.h"
#include "testing/cli_runner.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

TEST(CliInt8, CalibratesOnPngDigitsAndReusesTheCache) {
  const std::string digits = std::string(KILN_SOURCE_DIR) + "/models/digits";
  const fs::path dir = fs::temp_directory_path() / "kiln_cli_int8_test";
  fs::remove_all(dir);
  fs::create_directories(dir / "images");
  auto images = read_npy(digits + "/calibration_images.npy");
  ASSERT_TRUE(images.ok()) << images.status().to_string();
  for (int i = 0; i < 40; ++i) {
    const std::string path = (dir / "images" / ("digit" + std::to_string(100 + i) + ".png")).string();
    ASSERT_NE(stbi_write_png(path.c_str(), 20, 20, 1, images->data<uint8_t>() + i * 400, 20), 0);
  }
  const std::string model = digits + "/digits_cnn.onnx";
  const std::string cache = (dir / "digits.calib").string();
  const std::string plan = (dir / "digits.plan").string();
  testing::CliResult r = testing::run_cli("build " + model + " -o " + plan + " --report --int8 --calib " +
                                          (dir / "images").string() + " --calib-cache " + cache +
                                          " --calib-method percentile --calib-percentile 99.9 --calib-batch-size 8"
                                          " --calib-batches 4 --calib-scale 0.00392156863");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("int8: 2 activation tensor(s) quantized, scales calibrated (percentile)"),
            std::string::npos)
      << r.output;
  std::ifstream in(cache);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "kiln-int8-calibration method=percentile(99.9) kiln=" KILN_VERSION);

  // The cache alone: no data folder, same plan.
  const std::string again = (dir / "again.plan").string();
  r = testing::run_cli("build " + model + " -o " + again + " --int8 --calib-cache " + cache +
                       " --calib-method percentile --calib-percentile 99.9");
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream a(plan, std::ios::binary), b(again, std::ios::binary);
  EXPECT_TRUE(std::equal(std::istreambuf_iterator<char>(a), {}, std::istreambuf_iterator<char>(b), {}));

  // A cache from another method is refused, naming it.
  r = testing::run_cli("build " + model + " --no-save --int8 --calib-cache " + cache);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("method=percentile(99.9)"), std::string::npos) << r.output;
  fs::remove_all(dir);
}

TEST(CliInt8, CalibrationFlagsNeedInt8) {
  testing::CliResult r = testing::run_cli("build " + std::string(KILN_SOURCE_DIR) +
                                          "/models/digits/digits_cnn.onnx --no-save --calib /tmp");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--calib and --calib-cache need --int8"), std::string::npos) << r.output;
}

TEST(CliInt8, Int8AndFp8ExcludeEachOther) {
  testing::CliResult r = testing::run_cli("build " + std::string(KILN_SOURCE_DIR) +
                                          "/models/digits/digits_cnn.onnx --no-save --int8 --fp8 --calib /tmp");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--int8 and --fp8 exclude each other"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace kiln
