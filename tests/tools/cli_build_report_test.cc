// `kiln build --report`: the optimization report as a user sees it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "testing/cli_runner.h"
#include "testing/onnx_builder.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

// Exit code and combined output of `kiln ARGS`.
std::pair<int, std::string> kiln_cli(const std::string& args) {
  testing::CliResult r = testing::run_cli(args);
  return {r.code, r.output};
}

fs::path write_conv_relu_model() {
  testing::OnnxBuilder b(13);
  b.input("x", onnx::TensorProto::FLOAT, {1, 2, 4, 4});
  b.float_initializer("w", {3, 2, 1, 1}, {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f});
  b.node("Conv", {"x", "w"}, {"y"}, "conv1");
  b.node("Relu", {"y"}, {"z"}, "relu1");
  b.output("z");
  const fs::path dir = fs::temp_directory_path() / "kiln_cli_build_report_test";
  fs::create_directories(dir);
  const fs::path path = dir / "conv_relu.onnx";
  std::ofstream(path, std::ios::binary) << b.bytes();
  return path;
}

TEST(CliOptimize, ReportsLayerCountsAndFusions) {
  const fs::path model = write_conv_relu_model();
  auto [code, out] = kiln_cli("build --report --no-save " + model.string());
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("layers: 2 before, 1 after optimization"), std::string::npos) << out;
  EXPECT_NE(out.find("fused 'conv1 + relu1' (Conv + Relu)"), std::string::npos) << out;
}

TEST(CliOptimize, DisabledPassAndLevels) {
  const fs::path model = write_conv_relu_model();
  auto [code, out] = kiln_cli("build --report --no-save " + model.string() + " --disable-pass fuse_conv_activation");
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("layers: 2 before, 2 after"), std::string::npos) << out;
  std::tie(code, out) = kiln_cli("build --report --no-save " + model.string() + " --opt-level 1");
  EXPECT_NE(out.find("layers: 2 before, 2 after"), std::string::npos) << out;
  std::tie(code, out) = kiln_cli("build --report --no-save " + model.string() + " --disable-pass no_such_pass");
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("unknown pass 'no_such_pass'"), std::string::npos) << out;
}

}  // namespace
}  // namespace kiln
