// A whole CUDA engine whose input is quantized, then reformatted to channels-last for its first
// quantized convolution: the QDQ test network (tests/models/make_qdq_net.py; x [1, 8, 16, 16]).
// Lowering fuses the two into one kiln.QuantizeTranspose layer (kiln_quantize_transpose), and the
// engine computes what the CPU engine does; with the fusion disabled, the two layers stay.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "gpu_layer_runner.h"
#include "ir/ops/fused_ops.h"
#include "kiln/kiln.h"
#include "testing/engine_runner.h"
#include "plan/plan.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

// The plan's layers of op `op` with their annotations.
std::vector<std::pair<const Node*, NodeAnnotation>> layers_of(const LoadedPlan& plan, std::string_view op) {
  std::vector<std::pair<const Node*, NodeAnnotation>> found;
  for (size_t i = 0; i < plan.graph->nodes().size(); ++i)
    if (plan.graph->nodes()[i]->op_type() == op)
      found.emplace_back(plan.graph->nodes()[i].get(), plan.info.annotations[i]);
  return found;
}

class QuantizedInputEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    KILN_REQUIRE_GPU();
    // A test run from an installed package finds the generated network where KILN_TEST_QDQ_NET says.
    const char* copied = std::getenv("KILN_TEST_QDQ_NET");
    auto network = Network::from_onnx_file(copied != nullptr ? copied : KILN_QDQ_NET);
    ASSERT_TRUE(network.ok()) << network.status().to_string();
    network_ = std::move(*network);
    auto cpu = Builder(BuilderConfig{}).build(*network_);
    ASSERT_TRUE(cpu.ok()) << cpu.status().to_string();
    auto y = testing::execute_twice(**cpu, "x", x_, "y");
    ASSERT_TRUE(y.ok()) << y.status().to_string();
    cpu_y_ = std::move(*y);
  }

  // The CUDA engine's plan and its output for x_.
  void build_on_gpu(const std::vector<std::string>& disabled, LoadedPlan& plan, Tensor& y) {
    BuilderConfig config;
    config.device = DeviceKind::kCuda;
    config.allow_host_fallback = false;
    config.disabled_passes = disabled;
    Builder builder(config);
    auto engine = builder.build(*network_);
    ASSERT_TRUE(engine.ok()) << engine.status().to_string();
    report_ = builder.report();
    auto bytes = (*engine)->serialize();
    ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
    auto loaded = read_plan(bytes->data(), bytes->size(), std::nullopt);
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
    plan = std::move(*loaded);
    auto out = testing::execute_twice(**engine, "x", x_, "y");
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    y = std::move(*out);
  }

  // The int8 layers round like the reference except at ties (see docs/architecture.md), which
  // may move an activation by one step: close, not equal.
  void expect_matches_cpu(const Tensor& y) {
    ASSERT_EQ(y.dims(), cpu_y_.dims());
    EXPECT_LE(testing::relative_error(y, cpu_y_), 2e-2);
  }

  std::unique_ptr<Network> network_;
  const Tensor x_ = testing::random_float({1, 8, 16, 16}, 77, -2.f, 2.f);
  Tensor cpu_y_;
  std::string report_;
};

TEST_F(QuantizedInputEngine, FusesTheInputQuantizerWithItsReformat) {
  LoadedPlan plan;
  Tensor y;
  build_on_gpu({}, plan, y);
  if (HasFatalFailure()) return;
  const auto fused = layers_of(plan, kQuantizeTransposeOp);
  ASSERT_EQ(fused.size(), 1u);
  const auto& [node, annotation] = fused[0];
  EXPECT_EQ(node->input(0), plan.graph->inputs()[0]);
  EXPECT_NE(node->name().find(" + "), std::string::npos) << node->name();
  EXPECT_EQ(annotation.provider, "kiln_quantize_transpose");
  EXPECT_EQ(annotation.tactic.rfind("kiln_quantize_transpose_", 0), 0u) << annotation.tactic;
  EXPECT_TRUE(layers_of(plan, "QuantizeLinear").empty());
  EXPECT_NE(report_.find("fused '" + node->name() + "' (QuantizeLinear + Transpose)"), std::string::npos) << report_;
  expect_matches_cpu(y);
}

TEST_F(QuantizedInputEngine, WithoutTheFusionKeepsBothLayers) {
  LoadedPlan plan;
  Tensor y;
  build_on_gpu({"fuse_quantize_transpose"}, plan, y);
  if (HasFatalFailure()) return;
  EXPECT_TRUE(layers_of(plan, kQuantizeTransposeOp).empty());
  EXPECT_EQ(layers_of(plan, "QuantizeLinear").size(), 1u);
  expect_matches_cpu(y);
}

}  // namespace
}  // namespace kiln
