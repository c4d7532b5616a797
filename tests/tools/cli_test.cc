// The `kiln` binary: exit codes, messages and files, as a user sees them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/npy.h"
#include "testing/cli_runner.h"
#include "testing/onnx_builder.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

using Result = testing::CliResult;
using testing::run_cli;

fs::path temp_dir() {
  const fs::path d = fs::temp_directory_path() / "kiln_cli_test";
  fs::create_directories(d);
  return d;
}

fs::path write_relu_model() {
  testing::OnnxBuilder b;
  b.input("in:put", onnx::TensorProto::FLOAT, {2, 3});
  b.node("Relu", {"in:put"}, {"out/put"}, "relu1");
  b.output("out/put");
  const fs::path path = temp_dir() / "relu.onnx";
  std::ofstream(path, std::ios::binary) << b.bytes();
  return path;
}

TEST(Cli, RunWritesOutputsWithSafeNames) {
  const fs::path model = write_relu_model();
  const fs::path out = temp_dir() / "outputs";
  fs::remove_all(out);
  Tensor x(DataType::kFloat32, {2, 3});
  for (int i = 0; i < 6; ++i) x.data<float>()[i] = static_cast<float>(i) - 2.5f;
  ASSERT_TRUE(write_npy((temp_dir() / "x.npy").string(), x).ok());
  Result r = run_cli("run " + model.string() + " --input in:put=" + (temp_dir() / "x.npy").string() +
                     " --output-dir " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("output out/put: float32 [2, 3]"), std::string::npos) << r.output;
  auto y = read_npy((out / "out_put.npy").string());
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(y->data<float>()[i], std::max(0.f, x.data<float>()[i]));
}

TEST(Cli, MissingModelFails) {
  Result r = run_cli("run /nonexistent.onnx");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("cannot open '/nonexistent.onnx'"), std::string::npos) << r.output;
}

// Refused on any device, before building: a rule without its sign would silently rule nothing out.
TEST(Cli, MalformedTacticSourceFails) {
  Result r = run_cli("build " + std::string(KILN_SOURCE_DIR) + "/models/digits/digits_cnn.onnx --no-save --tactic-sources=cudnn");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("tactic source 'cudnn' must be +PREFIX or -PREFIX"), std::string::npos) << r.output;
}

TEST(Cli, GarbageModelFails) {
  const fs::path bad = temp_dir() / "garbage.onnx";
  std::ofstream(bad) << "definitely not a model";
  Result r = run_cli("run " + bad.string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("not a valid ONNX model"), std::string::npos) << r.output;
}

TEST(Cli, WrongInputShapeNamesTheInput) {
  const fs::path model = write_relu_model();
  Tensor x(DataType::kFloat32, {4});
  ASSERT_TRUE(write_npy((temp_dir() / "bad.npy").string(), x).ok());
  Result r = run_cli("run " + model.string() + " --input in:put=" + (temp_dir() / "bad.npy").string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("input 'in:put' must have shape [2, 3]"), std::string::npos) << r.output;
}

TEST(Cli, WrongInputDtypeNamesTheInput) {
  const fs::path model = write_relu_model();
  Tensor x(DataType::kInt64, {2, 3});
  ASSERT_TRUE(write_npy((temp_dir() / "int.npy").string(), x).ok());
  Result r = run_cli("run " + model.string() + " --input in:put=" + (temp_dir() / "int.npy").string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("input 'in:put' must be float32, got int64"), std::string::npos) << r.output;
}

TEST(Cli, UnknownInputNameFails) {
  const fs::path model = write_relu_model();
  Result r = run_cli("run " + model.string() + " --input nope=" + (temp_dir() / "x.npy").string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("no input 'nope'"), std::string::npos) << r.output;
}

TEST(Cli, InspectPrintsTheGraph) {
  Result r = run_cli("inspect " + write_relu_model().string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("Relu"), std::string::npos);
  EXPECT_NE(r.output.find("relu1"), std::string::npos);
}

TEST(Cli, DemoReachesItsAccuracy) {
  Result r = run_cli("demo --repeats 1");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto pos = r.output.find("accuracy: ");
  ASSERT_NE(pos, std::string::npos) << r.output;
  EXPECT_GE(std::stod(r.output.substr(pos + 10)), 97.0) << r.output;
}

}  // namespace
}  // namespace kiln
