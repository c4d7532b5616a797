// `kiln build`, and `kiln run` / `kiln inspect [--json]` on plans, as a user sees them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/npy.h"
#include "ir/op_schema.h"
#include "onnx/onnx_importer.h"
#include "plan/plan.h"
#include "testing/cli_runner.h"
#include "testing/onnx_builder.h"
#include "testing/test_dir.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;

class PlanCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (OpRegistry::global().find("Relu", "") == nullptr) GTEST_SKIP() << "needs the Relu op, not on this branch yet";
    dir_ = testing::test_temp_dir("kiln_plan_cli_test");
    fs::create_directories(dir_);
    testing::OnnxBuilder b;
    b.input("x", onnx::TensorProto::FLOAT, {2, 3}, {"N", ""});
    b.node("Relu", {"x"}, {"y"}, "relu1");
    b.output("y");
    model_ = dir_ / "relu.onnx";
    std::ofstream(model_, std::ios::binary) << b.bytes();
  }
  fs::path dir_, model_;
};

nlohmann::json parse_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << text;
  return j;
}

TEST_F(PlanCli, BuildWritesAPlanThatRunsLikeTheModel) {
  const fs::path plan = dir_ / "relu.plan";
  auto r = run_cli("build " + model_.string() + " -o " + plan.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("wrote " + plan.string() + ": 1 layers, 0 bytes of weights, " +
                          std::to_string(fs::file_size(plan)) + " bytes in all"),
            std::string::npos)
      << r.output;

  Tensor x(DataType::kFloat32, {2, 3});
  for (int i = 0; i < 6; ++i) x.data<float>()[i] = static_cast<float>(i) - 2.5f;
  ASSERT_TRUE(write_npy((dir_ / "x.npy").string(), x).ok());
  for (const fs::path& m : {model_, plan}) {
    r = run_cli("run " + m.string() + " --input x=" + (dir_ / "x.npy").string() + " --output-dir " +
                (dir_ / m.extension().string().substr(1)).string());
    ASSERT_EQ(r.code, 0) << r.output;
  }
  auto from_model = read_npy((dir_ / "onnx" / "y.npy").string());
  auto from_plan = read_npy((dir_ / "plan" / "y.npy").string());
  ASSERT_TRUE(from_model.ok() && from_plan.ok());
  ASSERT_EQ(from_model->nbytes(), from_plan->nbytes());
  EXPECT_EQ(std::memcmp(from_model->raw(), from_plan->raw(), from_plan->nbytes()), 0);
}

TEST_F(PlanCli, PlansAreRecognizedByContentNotName) {
  const fs::path plan = dir_ / "actually_a_plan.onnx";
  ASSERT_EQ(run_cli("build " + model_.string() + " -o " + plan.string()).code, 0);
  auto r = run_cli("run " + plan.string());
  EXPECT_EQ(r.code, 0) << r.output;
  const fs::path model = dir_ / "actually_a_model.plan";
  fs::copy_file(model_, model, fs::copy_options::overwrite_existing);
  r = run_cli("run " + model.string());
  EXPECT_EQ(r.code, 0) << r.output;
}

TEST_F(PlanCli, CorruptPlanFailsCleanly) {
  const fs::path plan = dir_ / "corrupt.plan";
  ASSERT_EQ(run_cli("build " + model_.string() + " -o " + plan.string()).code, 0);
  {
    std::fstream f(plan, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
  }
  for (const char* cmd : {"run ", "inspect "}) {
    auto r = run_cli(cmd + plan.string());
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_NE(r.output.find("corrupt plan"), std::string::npos) << r.output;
  }
}

TEST_F(PlanCli, InspectJsonDescribesPlans) {
  // A plan as a GPU build would write it: inspect shows it even on a machine that cannot run it.
  auto graph = import_onnx_file(model_.string());
  ASSERT_TRUE(graph.ok()) << graph.status().to_string();
  PlanInfo info;
  info.target = {"cuda", "NVIDIA H100", 9, 0, 12040, 90100};
  info.build.fp16 = true;
  info.annotations = {{"relu_vec4", "fp16", "", 0, 0.f}};
  info.memory_plan = MemoryPlan{256, {{1, 0, 24}}};
  const fs::path plan = dir_ / "annotated.plan";
  ASSERT_TRUE(write_plan(**graph, info, plan.string()).ok());

  auto r = run_cli("inspect --json " + plan.string());
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json j = parse_json(r.output);
  EXPECT_EQ(j["format"], "plan");
  EXPECT_EQ(j["plan"]["kiln_version"], KILN_VERSION);
  EXPECT_EQ(j["plan"]["target"]["backend"], "cuda");
  EXPECT_EQ(j["plan"]["target"]["compute_capability"], nlohmann::json({9, 0}));
  EXPECT_EQ(j["plan"]["build"]["fp16"], true);
  EXPECT_EQ(j["plan"]["memory_plan"]["arena_bytes"], 256);
  EXPECT_EQ(j["plan"]["memory_plan"]["placements"][0]["tensor"], "y");
  ASSERT_EQ(j["layers"].size(), 1u);
  const auto& layer = j["layers"][0];
  EXPECT_EQ(layer["op_type"], "Relu");
  EXPECT_EQ(layer["name"], "relu1");
  EXPECT_EQ(layer["tactic"], "relu_vec4");
  EXPECT_EQ(layer["precision"], "fp16");
  EXPECT_EQ(layer["inputs"][0]["dtype"], "float32");
  EXPECT_EQ(layer["inputs"][0]["shape"], nlohmann::json::parse(R"(["N", 3])"));
  EXPECT_EQ(j["inputs"][0]["name"], "x");
  EXPECT_EQ(j["tensors"].size(), 2u);

  // `kiln run` loads a CUDA plan on the GPU: without one that is the error; with one, the plan's
  // made-up GPU is.
  r = run_cli("run " + plan.string());
  EXPECT_NE(r.code, 0);
  const bool named = r.output.find("no CUDA device is available") != std::string::npos ||
                     r.output.find("plan was built for GPU") != std::string::npos ||
                     r.output.find("without the CUDA backend") != std::string::npos;
  EXPECT_TRUE(named) << r.output;
}

TEST_F(PlanCli, InspectJsonDescribesModels) {
  auto r = run_cli("inspect --json " + model_.string());
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json j = parse_json(r.output);
  EXPECT_EQ(j["format"], "onnx");
  EXPECT_FALSE(j.contains("plan"));
  EXPECT_EQ(j["layers"][0]["op_type"], "Relu");
  EXPECT_EQ(j["outputs"][0]["name"], "y");
}

}  // namespace
}  // namespace kiln
