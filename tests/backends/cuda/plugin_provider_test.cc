// Plugin layers on CUDA: the test plugin library's CUDA implementation through the tactic
// provider (each of its own tactics) and through a whole CUDA engine and its plan, against an
// independent computation.
#include <cstdlib>

#include <gtest/gtest.h>

#include <cmath>

#include "backends/cuda/layer_kernel.h"
#include "core/error.h"
#include "gpu_layer_runner.h"
#include "kiln/kiln.h"
#include "kiln/plugin.h"
#include "plan/plan.h"
#include "plugin/plugin_node.h"
#include "plugin/plugin_test_model.h"

namespace kiln {
namespace {

using testing::expected_plugin_model;
using testing::random_matrix;

void expect_close(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.dims(), want.dims()) << what;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const float w = want.data<float>()[i];
    // Row sums are added in any order by atomics.
    ASSERT_NEAR(got.data<float>()[i], w, 1e-5f + 1e-5f * std::fabs(w)) << what << " element " << i;
  }
}

class PluginProvider : public ::testing::Test {
 protected:
  void SetUp() override {
    KILN_REQUIRE_GPU();
    // An installed package (cmake --install) keeps the test plugin next to this program's lib/.
    const char* installed = std::getenv("KILN_TEST_PLUGIN_LIBRARY");
    const Status loaded = load_plugin_library(installed != nullptr ? installed : KILN_TEST_PLUGIN_LIBRARY);
    ASSERT_TRUE(loaded.ok()) << loaded.to_string();
    const std::string bytes = testing::plugin_model_bytes(testing::options([](testing::PluginModelOptions& o) { o.scale = -0.5f; }));
    auto network = Network::from_onnx_bytes(bytes.data(), bytes.size());
    ASSERT_TRUE(network.ok()) << network.status().to_string();
    network_ = std::move(*network);
  }

  static Expected<std::vector<Tensor>> run(const Engine& engine, const Tensor& a, const Tensor& b, int times) {
    KILN_ASSIGN_OR_RETURN(auto context, engine.create_context());
    KILN_RETURN_IF_ERROR(context->set_input("A", {a.dtype(), a.dims(), a.raw()}));
    KILN_RETURN_IF_ERROR(context->set_input("B", {b.dtype(), b.dims(), b.raw()}));
    for (int i = 0; i < times; ++i) KILN_RETURN_IF_ERROR(context->execute());  // later runs replay a CUDA graph
    std::vector<Tensor> out;
    for (const char* name : {"z", "s"}) {
      KILN_ASSIGN_OR_RETURN(TensorView v, context->output(name));
      Tensor t(v.dtype, v.dims);
      KILN_RETURN_IF_ERROR(copy_to_host(v, t.raw()));
      out.push_back(std::move(t));
    }
    return out;
  }

  std::unique_ptr<Network> network_;
};

TEST_F(PluginProvider, EveryOwnTacticMatchesAnIndependentComputation) {
  const Node* plugin = nullptr;
  for (const auto& n : network_->graph().nodes())
    if (is_plugin_node(*n)) plugin = n.get();
  ASSERT_NE(plugin, nullptr);
  // Inputs that Relu leaves alone, so the model's expectation holds for the layer alone.
  Tensor a = random_matrix(37, 4, 7);
  for (int64_t i = 0; i < a.numel(); ++i) a.data<float>()[i] = std::fabs(a.data<float>()[i]);
  const Tensor b = random_matrix(37, 4, 8);
  const cuda::LayerSpec spec = testing::make_spec(*plugin, {a, b}, {{37, 8}, {37}}, {DataType::kFloat32, DataType::kFloat32});
  auto runs = testing::run_all_tactics(spec, {a, b});
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  std::vector<Tensor> want = expected_plugin_model(a, b, -0.5f);
  for (int64_t i = 0; i < want[0].numel(); ++i) want[0].data<float>()[i] = -want[0].data<float>()[i];  // no Neg here
  int plugin_runs = 0;
  for (const testing::TacticRun& r : *runs) {
    if (r.provider != "plugin") continue;
    ++plugin_runs;
    expect_close(r.outputs[0], want[0], r.tactic + " out0");
    expect_close(r.outputs[1], want[1], r.tactic + " out1");
  }
  EXPECT_EQ(plugin_runs, 2);  // the plugin's two tactics
}

TEST_F(PluginProvider, CudaEngineAndItsPlanRunThePluginOnTheGpu) {
  BuilderConfig config;
  config.device = DeviceKind::kCuda;
  OptimizationProfile profile;
  profile.inputs["A"] = {{1, 4}, {16, 4}, {64, 4}};
  profile.inputs["B"] = {{1, 4}, {16, 4}, {64, 4}};
  config.profiles = {profile};
  config.allow_host_fallback = false;  // the plugin layer must run on the GPU
  auto engine = Builder(config).build(*network_);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();

  auto bytes = (*engine)->serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  auto plan = read_plan(bytes->data(), bytes->size(), std::nullopt);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  bool timed = false;
  for (size_t i = 0; i < plan->graph->nodes().size(); ++i) {
    if (!is_plugin_node(*plan->graph->nodes()[i])) continue;
    const NodeAnnotation& a = plan->info.annotations[i];
    EXPECT_EQ(a.provider, "plugin");
    EXPECT_EQ(a.tactic.rfind("plugin_ScaledInterleave#", 0), 0u) << a.tactic;
    timed = true;
  }
  EXPECT_TRUE(timed);

  auto loaded = Runtime(DeviceKind::kCuda).deserialize(bytes->data(), bytes->size());
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  for (int64_t n : {16, 3, 64}) {
    const Tensor a = random_matrix(n, 4, 40 + static_cast<uint32_t>(n)), b = random_matrix(n, 4, 41);
    const std::vector<Tensor> want = expected_plugin_model(a, b, -0.5f);
    for (const Engine* e : {engine->get(), loaded->get()}) {
      auto out = run(*e, a, b, 3);
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      expect_close((*out)[0], want[0], "z at N=" + std::to_string(n));
      expect_close((*out)[1], want[1], "s at N=" + std::to_string(n));
    }
  }
}

}  // namespace
}  // namespace kiln
