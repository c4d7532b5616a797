// Plugin layers in one process: ONNX import, shape inference with symbolic dims, the CPU engine,
// plans, memory planning, and how errors name the plugin. (tests/plugin/plugin_cli_test.cc runs
// them through fresh `kiln` processes.)
#include <gtest/gtest.h>

#include <cstring>

#include "builder/concrete_shapes.h"
#include "builder/memory_planner.h"
#include "core/error.h"
#include "ir/graph.h"
#include "kiln/kiln.h"
#include "plan/plan.h"
#include "plugin/plugin_node.h"
#include "plugin_test_model.h"

namespace kiln {
namespace {

using testing::expected_plugin_model;
using testing::plugin_model_bytes;
using testing::PluginModelOptions;
using testing::options;
using testing::random_matrix;

class PluginLayer : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(load_plugin_library(KILN_TEST_PLUGIN_LIBRARY).ok()); }

  static Expected<std::unique_ptr<Network>> import(const PluginModelOptions& o = {}) {
    const std::string bytes = plugin_model_bytes(o);
    return Network::from_onnx_bytes(bytes.data(), bytes.size());
  }

  // Runs the engine on A and B and returns {z, s}.
  static Expected<std::vector<Tensor>> run(const Engine& engine, const Tensor& a, const Tensor& b) {
    KILN_ASSIGN_OR_RETURN(auto context, engine.create_context());
    KILN_RETURN_IF_ERROR(context->set_input("A", {a.dtype(), a.dims(), a.raw()}));
    KILN_RETURN_IF_ERROR(context->set_input("B", {b.dtype(), b.dims(), b.raw()}));
    KILN_RETURN_IF_ERROR(context->execute());
    std::vector<Tensor> out;
    for (const char* name : {"z", "s"}) {
      KILN_ASSIGN_OR_RETURN(TensorView v, context->output(name));
      Tensor t(v.dtype, v.dims);
      std::memcpy(t.raw(), v.data, t.nbytes());
      out.push_back(std::move(t));
    }
    return out;
  }

  static void expect_near(const std::vector<Tensor>& got, const std::vector<Tensor>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].dims(), want[i].dims()) << "output " << i;
      for (int64_t j = 0; j < got[i].numel(); ++j)
        ASSERT_NEAR(got[i].data<float>()[j], want[i].data<float>()[j], 1e-5f) << "output " << i << " element " << j;
    }
  }
};

TEST_F(PluginLayer, ImportMakesAPluginNodeWithSymbolicShapes) {
  auto network = import();
  ASSERT_TRUE(network.ok()) << network.status().to_string();
  const Graph& g = (*network)->graph();
  const Node* plugin = nullptr;
  for (const auto& n : g.nodes())
    if (is_plugin_node(*n)) plugin = n.get();
  ASSERT_NE(plugin, nullptr);
  EXPECT_EQ(plugin->name(), "interleave");
  EXPECT_EQ(plugin_identity_of(*plugin), (PluginIdentity{"ScaledInterleave", "1", "kiln.test"}));
  EXPECT_EQ(g.find_value("y")->shape().to_string(), "[N, 8]");
  EXPECT_EQ(g.find_value("s")->shape().to_string(), "[N]");
  EXPECT_EQ(g.find_value("z")->shape().to_string(), "[N, 8]");
}

TEST_F(PluginLayer, CpuEngineAndItsPlanMatchAnIndependentComputation) {
  auto network = import(options([](PluginModelOptions& o) { o.scale = 0.75f; }));
  ASSERT_TRUE(network.ok()) << network.status().to_string();
  auto engine = Builder().build(**network);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  for (int64_t n : {1, 5}) {  // the symbolic batch takes several sizes
    const Tensor a = random_matrix(n, 4, 11 + static_cast<uint32_t>(n)), b = random_matrix(n, 4, 29);
    auto out = run(**engine, a, b);
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    expect_near(*out, expected_plugin_model(a, b, 0.75f));
  }

  auto bytes = (*engine)->serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  auto loaded = Runtime().deserialize(bytes->data(), bytes->size());
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  const Tensor a = random_matrix(3, 4, 5), b = random_matrix(3, 4, 6);
  auto out = run(**loaded, a, b);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  expect_near(*out, expected_plugin_model(a, b, 0.75f));
}

TEST_F(PluginLayer, ConstantFoldingLeavesPluginLayersToTheEngine) {
  // With constant inputs every other layer before it would fold away; a plugin may implement
  // only the engine's device, so it stays a layer.
  const Tensor a = random_matrix(2, 4, 3), b = random_matrix(2, 4, 4);
  auto network = import(options([&](PluginModelOptions& o) { o.constant_a = &a; o.constant_b = &b; }));
  ASSERT_TRUE(network.ok()) << network.status().to_string();
  auto engine = Builder().build(**network);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  auto bytes = (*engine)->serialize();
  ASSERT_TRUE(bytes.ok());
  auto plan = read_plan(bytes->data(), bytes->size(), std::nullopt);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  EXPECT_EQ(plugins_used(*plan->graph), (std::vector<PluginIdentity>{{"ScaledInterleave", "1", "kiln.test"}}));

  auto context = (*engine)->create_context();
  ASSERT_TRUE(context.ok());
  ASSERT_TRUE((*context)->execute().ok());
  auto z = (*context)->output("z");
  ASSERT_TRUE(z.ok());
  const Tensor want = expected_plugin_model(a, b, 1.5f)[0];
  for (int64_t i = 0; i < want.numel(); ++i) EXPECT_NEAR(static_cast<const float*>(z->data)[i], want.data<float>()[i], 1e-5f);
}

TEST_F(PluginLayer, AnErrorFromThePluginNamesItAndTheNode) {
  auto network = import(options([](PluginModelOptions& o) { o.fail_message = "the moon is full"; }));
  ASSERT_TRUE(network.ok()) << network.status().to_string();
  auto engine = Builder().build(**network);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  auto out = run(**engine, random_matrix(2, 4, 1), random_matrix(2, 4, 2));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find(
                "node 'interleave' (Plugin, domain 'kiln'): plugin 'ScaledInterleave' (version 1, namespace 'kiln.test'): "
                "the moon is full"),
            std::string::npos)
      << out.status().message();
}

TEST_F(PluginLayer, AttributesAreCheckedAgainstThePluginsFields) {
  auto network = import(options([](PluginModelOptions& o) { o.int_scale = true; }));
  ASSERT_FALSE(network.ok());
  EXPECT_NE(network.status().message().find("node 'interleave' (ScaledInterleave): plugin 'ScaledInterleave' "
                                            "(version 1, namespace 'kiln.test'): field 'scale' must be float, not int"),
            std::string::npos)
      << network.status().message();

  network = import(options([](PluginModelOptions& o) { o.extra_attr = "bogus"; }));
  ASSERT_FALSE(network.ok());
  EXPECT_EQ(network.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(network.status().message().find("has no field 'bogus'"), std::string::npos) << network.status().message();
}

TEST_F(PluginLayer, AnOpNoPluginProvidesIsListedWithHowToLoadOne) {
  auto network = import(options([](PluginModelOptions& o) { o.op = "NotAPlugin"; }));
  ASSERT_FALSE(network.ok());
  EXPECT_EQ(network.status().code(), StatusCode::kUnsupported);
  const std::string& m = network.status().message();
  EXPECT_NE(m.find("'interleave' (op NotAPlugin, domain 'kiln.test')"), std::string::npos) << m;
  EXPECT_NE(m.find("--plugin LIB or KILN_PLUGIN_PATH"), std::string::npos) << m;
}

TEST_F(PluginLayer, MemoryPlanNeverSharesAPluginsInputsAndOutputs) {
  auto network = import();
  ASSERT_TRUE(network.ok());
  const Graph& g = (*network)->graph();
  auto dims = infer_concrete_dims(g, {{4, 4}, {4, 4}});
  ASSERT_TRUE(dims.ok()) << dims.status().to_string();
  const ActivationPlan plan = plan_memory(g, *dims);
  auto planned = [&](const char* name) -> const ValueMemory* {
    auto it = plan.values.find(g.find_value(name));
    return it == plan.values.end() ? nullptr : &it->second;
  };
  ASSERT_NE(planned("p"), nullptr);
  const ValueMemory& in = *planned("p");
  for (const char* name : {"y", "s"}) {
    ASSERT_NE(planned(name), nullptr) << name;
    const ValueMemory& out = *planned(name);
    EXPECT_EQ(out.sharing, Sharing::kOwn) << name;
    EXPECT_TRUE(out.offset >= in.offset + in.bytes || in.offset >= out.offset + out.bytes)
        << name << " [" << out.offset << ", +" << out.bytes << ") overlaps p [" << in.offset << ", +" << in.bytes << ")";
  }
}

}  // namespace
}  // namespace kiln
