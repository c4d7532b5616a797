// Plugin layers across processes, as a user meets them: `kiln build --plugin` writes a plan that
// a fresh `kiln run --plugin` (or KILN_PLUGIN_PATH) loads and runs; without the library, both
// say which plugin is missing and how to load it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/npy.h"
#include "plugin_test_model.h"
#include "testing/cli_runner.h"
#include "testing/test_dir.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;

class PluginCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::test_temp_dir("kiln_plugin_cli_test");
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    model_ = dir_ / "interleave.onnx";
    std::ofstream(model_, std::ios::binary) << testing::plugin_model_bytes(testing::options([](testing::PluginModelOptions& o) { o.scale = 2.5f; }));
    plan_ = dir_ / "interleave.plan";
    plugin_ = std::string(" --plugin ") + KILN_TEST_PLUGIN_LIBRARY;
  }

  // Writes A and B (7 x 4, random) and returns `kiln run` flags that feed them in.
  std::string write_inputs() {
    a_ = testing::random_matrix(7, 4, 101);
    b_ = testing::random_matrix(7, 4, 202);
    EXPECT_TRUE(write_npy((dir_ / "A.npy").string(), a_).ok());
    EXPECT_TRUE(write_npy((dir_ / "B.npy").string(), b_).ok());
    return " --input A=" + (dir_ / "A.npy").string() + " --input B=" + (dir_ / "B.npy").string() + " --output-dir " +
           (dir_ / "out").string();
  }

  void expect_outputs_match() {
    const std::vector<Tensor> want = testing::expected_plugin_model(a_, b_, 2.5f);
    const char* names[] = {"z", "s"};
    for (size_t i = 0; i < 2; ++i) {
      auto got = read_npy((dir_ / "out" / (std::string(names[i]) + ".npy")).string());
      ASSERT_TRUE(got.ok()) << got.status().to_string();
      ASSERT_EQ(got->dims(), want[i].dims());
      for (int64_t j = 0; j < want[i].numel(); ++j)
        ASSERT_NEAR(got->data<float>()[j], want[i].data<float>()[j], 1e-5f) << names[i] << "[" << j << "]";
    }
  }

  fs::path dir_, model_, plan_;
  std::string plugin_;
  Tensor a_, b_;
};

TEST_F(PluginCli, APlanWithAPluginRunsInAFreshProcess) {
  auto r = run_cli("build " + model_.string() + " -o " + plan_.string() + plugin_);
  ASSERT_EQ(r.code, 0) << r.output;
  r = run_cli("run " + plan_.string() + plugin_ + write_inputs());
  ASSERT_EQ(r.code, 0) << r.output;
  expect_outputs_match();

  r = run_cli("inspect " + plan_.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("uses plugin 'ScaledInterleave' (version 1, namespace 'kiln.test') (not loaded)"),
            std::string::npos)
      << r.output;
}

TEST_F(PluginCli, KilnPluginPathLoadsLibrariesToo) {
  ASSERT_EQ(run_cli("build " + model_.string() + " -o " + plan_.string() + plugin_).code, 0);
  const std::string inputs = write_inputs();
  // Empty entries are skipped; the child process inherits the variable.
  setenv("KILN_PLUGIN_PATH", (std::string("::") + KILN_TEST_PLUGIN_LIBRARY).c_str(), 1);
  auto r = run_cli("run " + plan_.string() + inputs);
  unsetenv("KILN_PLUGIN_PATH");
  ASSERT_EQ(r.code, 0) << r.output;
  expect_outputs_match();
}

TEST_F(PluginCli, AMissingPluginAtImportIsNamedWithHowToLoadIt) {
  auto r = run_cli("build " + model_.string() + " -o " + plan_.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("1 node(s) use operators Kiln does not support:\n  'interleave' (op ScaledInterleave, "
                          "domain 'kiln.test')"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("--plugin LIB or KILN_PLUGIN_PATH"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(plan_));
}

TEST_F(PluginCli, AMissingPluginAtPlanLoadIsNamedWithHowToLoadIt) {
  ASSERT_EQ(run_cli("build " + model_.string() + " -o " + plan_.string() + plugin_).code, 0);
  auto r = run_cli("run " + plan_.string() + write_inputs());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("not found: 1 plugin(s) the graph uses are not registered"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("plugin 'ScaledInterleave' (version 1, namespace 'kiln.test')"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("--plugin LIB"), std::string::npos) << r.output;
}

TEST_F(PluginCli, ABadLibraryIsAnErrorNamingIt) {
  auto r = run_cli("build " + model_.string() + " --plugin " + (dir_ / "nothing.so").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("cannot load plugin library '" + (dir_ / "nothing.so").string() + "'"), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace kiln
