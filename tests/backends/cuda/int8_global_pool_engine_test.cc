// A whole INT8 CUDA engine that ends as ResNet does: conv + relu -> GlobalAveragePool -> Flatten
// -> Gemm. Calibration quantizes the pool's input, so the conv writes int8 and the pool runs as
// kiln.QGlobalAveragePool, channels-last, on kiln_pool; the engine computes what the CPU engine
// built from the same calibration cache computes.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "core/npy.h"
#include "gpu_layer_runner.h"
#include "ir/ops/fused_ops.h"
#include "kiln/kiln.h"
#include "testing/engine_runner.h"
#include "plan/plan.h"
#include "testing/node_runner.h"
#include "testing/onnx_builder.h"
#include "testing/test_dir.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kBatch = 4, kIn = 16, kOut = 64, kClasses = 32, kSide = 7;

std::vector<float> random_values(size_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

std::string tail_model() {
  testing::OnnxBuilder b(13);
  b.input("x", onnx::TensorProto::FLOAT, {kBatch, kIn, kSide, kSide});
  b.float_initializer("w", {kOut, kIn, 3, 3}, random_values(kOut * kIn * 9, 1, -0.3f, 0.3f));
  b.float_initializer("b", {kOut}, random_values(kOut, 2, -0.2f, 0.2f));
  b.float_initializer("wfc", {kOut, kClasses}, random_values(kOut * kClasses, 3, -0.5f, 0.5f));
  b.float_initializer("bfc", {kClasses}, random_values(kClasses, 4, -0.1f, 0.1f));
  onnx::NodeProto& conv = b.node("Conv", {"x", "w", "b"}, {"conv"}, "conv");
  auto* pads = conv.add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (int i = 0; i < 4; ++i) pads->add_ints(1);
  b.node("Relu", {"conv"}, {"relu"}, "relu");
  b.node("GlobalAveragePool", {"relu"}, {"pool"}, "pool");
  b.node("Flatten", {"pool"}, {"flat"}, "flatten");
  b.node("Gemm", {"flat", "wfc", "bfc"}, {"y"}, "fc");
  b.output("y");
  return b.bytes();
}

class Int8GlobalPoolEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    KILN_REQUIRE_GPU();
    dir_ = testing::test_temp_dir("kiln_int8_global_pool_engine_test");
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
    ASSERT_TRUE(write_npy((dir_ / "data" / "x.npy").string(), testing::random_float({2 * kBatch, kIn, kSide, kSide}, 5)).ok());
    const std::string model = tail_model();
    auto network = Network::from_onnx_bytes(model.data(), model.size());
    ASSERT_TRUE(network.ok()) << network.status().to_string();
    network_ = std::move(*network);
    // The CPU engine calibrates and writes the cache; the CUDA builds read the same scales.
    auto cpu = Builder(int8_config(DeviceKind::kCpu)).build(*network_);
    ASSERT_TRUE(cpu.ok()) << cpu.status().to_string();
    auto y = testing::execute_twice(**cpu, "x", x_, "y");
    ASSERT_TRUE(y.ok()) << y.status().to_string();
    cpu_y_ = std::move(*y);
  }
  void TearDown() override { fs::remove_all(dir_); }

  BuilderConfig int8_config(DeviceKind device) const {
    BuilderConfig config;
    config.device = device;
    config.allow_host_fallback = false;
    config.int8 = true;
    config.calibration.data_dir = (dir_ / "data").string();
    config.calibration.cache_path = (dir_ / "tail.calib").string();
    return config;
  }

  // Builds on the GPU (float16 storage or not), checks the plan's pool layer and compares with
  // the CPU engine.
  void expect_pool_runs_on_int8(bool fp16) {
    BuilderConfig config = int8_config(DeviceKind::kCuda);
    config.fp16 = fp16;
    Builder builder(config);
    auto engine = builder.build(*network_);
    ASSERT_TRUE(engine.ok()) << engine.status().to_string();
    auto bytes = (*engine)->serialize();
    ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
    auto plan = read_plan(bytes->data(), bytes->size(), std::nullopt);
    ASSERT_TRUE(plan.ok()) << plan.status().to_string();
    int pools = 0;
    for (size_t i = 0; i < plan->graph->nodes().size(); ++i) {
      const Node& n = *plan->graph->nodes()[i];
      EXPECT_NE(n.op_type(), "GlobalAveragePool") << n.name();
      if (n.op_type() != kChannelsLastOp || n.attr("body")->g->nodes()[0]->op_type() != kQGlobalAveragePoolOp) continue;
      ++pools;
      const NodeAnnotation& a = plan->info.annotations[i];
      EXPECT_EQ(a.provider, "kiln_pool");
      const std::string name = std::string("kiln_qglobalavgpool_nhwc_int8_to_") + (fp16 ? "fp16" : "fp32");
      EXPECT_EQ(a.tactic.rfind(name, 0), 0u) << a.tactic;
      EXPECT_EQ(n.input(0)->dtype(), DataType::kInt8);
      const Node* conv = n.input(0)->producer();
      ASSERT_NE(conv, nullptr);
      EXPECT_EQ(conv->op_type(), kChannelsLastOp);
      EXPECT_EQ(conv->attr("body")->g->nodes()[0]->op_type(), kQConvOp);
    }
    EXPECT_EQ(pools, 1) << builder.report();
    auto y = testing::execute_twice(**engine, "x", x_, "y");
    ASSERT_TRUE(y.ok()) << y.status().to_string();
    ASSERT_EQ(y->dims(), cpu_y_.dims());
    // The int8 layers round like the reference except at ties, which may move an activation by
    // one step; float16 storage rounds the float layers' outputs too.
    EXPECT_LE(testing::relative_error(*y, cpu_y_), 2e-2);
  }

  fs::path dir_;
  std::unique_ptr<Network> network_;
  const Tensor x_ = testing::random_float({kBatch, kIn, kSide, kSide}, 77, -1.f, 1.f);
  Tensor cpu_y_;
};

TEST_F(Int8GlobalPoolEngine, Float32PoolReadsTheConvsInt8Output) { expect_pool_runs_on_int8(false); }

TEST_F(Int8GlobalPoolEngine, Float16PoolReadsTheConvsInt8Output) { expect_pool_runs_on_int8(true); }

}  // namespace
}  // namespace kiln
