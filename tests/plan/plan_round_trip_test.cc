// Writing a plan and reading it back gives the same graph, the same bytes when written again, and
// an engine whose outputs are bit-identical to the original's.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "plan/plan.h"
#include "plan/plan_header.h"
#include "plan/plan_test_graph.h"
#include "runtime/cpu_engine.h"

namespace kiln {
namespace {

void expect_same_graph(const Graph& a, const Graph& b);

void expect_same_tensor(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.dtype(), b.dtype());
  ASSERT_EQ(a.dims(), b.dims());
  ASSERT_EQ(a.nbytes(), b.nbytes());
  if (a.nbytes() > 0) {
    EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.nbytes()), 0);
  }
}

void expect_same_attribute(const Attribute& a, const Attribute& b) {
  ASSERT_EQ(a.type, b.type);
  EXPECT_EQ(a.i, b.i);
  EXPECT_EQ(a.f, b.f);
  EXPECT_EQ(a.s, b.s);
  EXPECT_EQ(a.ints, b.ints);
  EXPECT_EQ(a.floats, b.floats);
  EXPECT_EQ(a.strings, b.strings);
  if (a.type == AttrType::kTensor) expect_same_tensor(a.t, b.t);
  if (a.type == AttrType::kGraph) expect_same_graph(*a.g, *b.g);
}

std::vector<std::string> names(const std::vector<Value*>& values) {
  std::vector<std::string> out;
  for (const Value* v : values) out.push_back(v ? v->name() : "<absent>");
  return out;
}

void expect_same_graph(const Graph& a, const Graph& b) {
  EXPECT_EQ(a.name, b.name);
  ASSERT_EQ(a.values().size(), b.values().size());
  for (size_t i = 0; i < a.values().size(); ++i) {
    const Value& va = *a.values()[i];
    const Value& vb = *b.values()[i];
    EXPECT_EQ(va.name(), vb.name());
    EXPECT_EQ(va.dtype(), vb.dtype()) << va.name();
    EXPECT_EQ(va.shape(), vb.shape()) << va.name();
    ASSERT_EQ(va.is_constant(), vb.is_constant()) << va.name();
    if (va.is_constant()) expect_same_tensor(va.constant(), vb.constant());
  }
  ASSERT_EQ(a.nodes().size(), b.nodes().size());
  for (size_t i = 0; i < a.nodes().size(); ++i) {
    const Node& na = *a.nodes()[i];
    const Node& nb = *b.nodes()[i];
    EXPECT_EQ(na.name(), nb.name());
    EXPECT_EQ(na.op_type(), nb.op_type());
    EXPECT_EQ(na.domain(), nb.domain());
    EXPECT_EQ(na.opset(), nb.opset());
    EXPECT_EQ(names(na.inputs()), names(nb.inputs()));
    EXPECT_EQ(names(na.outputs()), names(nb.outputs()));
    ASSERT_EQ(na.attrs().size(), nb.attrs().size()) << na.name();
    for (const auto& [name, attr] : na.attrs()) {
      ASSERT_TRUE(nb.has_attr(name)) << name;
      expect_same_attribute(attr, *nb.attr(name));
    }
    EXPECT_NE(nb.schema(), nullptr);
  }
  EXPECT_EQ(names(a.inputs()), names(b.inputs()));
  EXPECT_EQ(names(a.outputs()), names(b.outputs()));
  EXPECT_EQ(names(a.captures()), names(b.captures()));
}

std::vector<uint8_t> serialize(const Graph& g, const PlanInfo& info = {}) {
  auto bytes = serialize_plan(g, info);
  EXPECT_TRUE(bytes.ok()) << bytes.status().to_string();
  return bytes.ok() ? *bytes : std::vector<uint8_t>();
}

// Runs an engine on a fixed input and returns its outputs' bytes.
std::vector<std::vector<uint8_t>> run(const Engine& engine) {
  auto context = engine.create_context();
  EXPECT_TRUE(context.ok()) << context.status().to_string();
  Tensor x = testing::plan_test_tensor(DataType::kFloat32, {2, 8}, 9);
  EXPECT_TRUE((*context)->set_input("x", {x.dtype(), x.dims(), x.raw()}).ok());
  Status s = (*context)->execute();
  EXPECT_TRUE(s.ok()) << s.to_string();
  std::vector<std::vector<uint8_t>> out;
  for (const char* name : {"y", "h"}) {
    auto v = (*context)->output(name);
    EXPECT_TRUE(v.ok()) << v.status().to_string();
    if (!v.ok()) continue;
    const auto* p = static_cast<const uint8_t*>(v->data);
    out.emplace_back(p, p + checked_numel(v->dims) * 4);
  }
  return out;
}

TEST(PlanRoundTrip, GraphIsPreserved) {
  auto g = testing::make_plan_test_graph();
  const std::vector<uint8_t> bytes = serialize(*g);
  auto plan = read_plan(bytes.data(), bytes.size(), PlanTarget::cpu());
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  expect_same_graph(*g, *plan->graph);
  EXPECT_EQ(plan->kiln_version, KILN_VERSION);
  EXPECT_EQ(plan->file_bytes, bytes.size());
}

TEST(PlanRoundTrip, WritingALoadedPlanAgainGivesTheSameBytes) {
  auto g = testing::make_plan_test_graph();
  const std::vector<uint8_t> bytes = serialize(*g);
  auto plan = read_plan(bytes.data(), bytes.size(), PlanTarget::cpu());
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  EXPECT_EQ(serialize(*plan->graph, plan->info), bytes);
}

TEST(PlanRoundTrip, InfoIsPreserved) {
  auto g = testing::make_plan_test_graph();
  PlanInfo info;
  info.build = {3, true, true, false, true, false, uint64_t{1} << 33};
  info.target = {"cuda", "NVIDIA H100 80GB HBM3", 9, 0, 12040, 90100};
  info.annotations = {{"gemm_128x128", "fp16", "", 0, 0.f}, {"", "fp32", "", 0, 0.f}};
  info.memory_plan = MemoryPlan{4096, {{6, 0, 64}, {7, 64, 64}}};
  const std::vector<uint8_t> bytes = serialize(*g, info);
  auto plan = read_plan(bytes.data(), bytes.size(), info.target);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  const PlanInfo& got = plan->info;
  EXPECT_EQ(got.build.optimization_level, 3);
  EXPECT_TRUE(got.build.tf32 && got.build.fp16 && !got.build.bf16 && got.build.int8 && !got.build.fp8);
  EXPECT_EQ(got.build.workspace_limit, uint64_t{1} << 33);
  EXPECT_EQ(got.target.gpu_name, info.target.gpu_name);
  EXPECT_EQ(got.target.cudnn_version, 90100);
  ASSERT_EQ(got.annotations.size(), 2u);
  EXPECT_EQ(got.annotations[0].tactic, "gemm_128x128");
  EXPECT_EQ(got.annotations[1].precision, "fp32");
  ASSERT_TRUE(got.memory_plan.has_value());
  EXPECT_EQ(got.memory_plan->arena_bytes, 4096u);
  ASSERT_EQ(got.memory_plan->placements.size(), 2u);
  EXPECT_EQ(got.memory_plan->placements[1].value, 7);
  EXPECT_EQ(got.memory_plan->placements[1].offset, 64u);
}

TEST(PlanRoundTrip, EngineFromPlanGivesBitIdenticalOutputs) {
  auto original = build_cpu_engine(testing::make_plan_test_graph());
  ASSERT_TRUE(original.ok()) << original.status().to_string();
  auto bytes = (*original)->serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  auto loaded = Runtime().deserialize(bytes->data(), bytes->size());
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_EQ((*loaded)->io_tensors().size(), (*original)->io_tensors().size());
  EXPECT_EQ(run(**loaded), run(**original));
}

TEST(PlanRoundTrip, SavedFileIsMappedAndWeightsUsedInPlace) {
  auto engine = build_cpu_engine(testing::make_plan_test_graph());
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  const std::string path = (std::filesystem::temp_directory_path() / "kiln_plan_round_trip.plan").string();
  ASSERT_TRUE((*engine)->save(path).ok());
  auto loaded = Runtime().deserialize(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_EQ(run(**loaded), run(**engine));

  auto plan = read_plan(path, PlanTarget::cpu());
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  const Tensor& scale = plan->graph->find_value("scale")->constant();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(scale.raw()) % kPlanWeightAlignment, 0u);
  // The weights outlive everything but the tensors that point into the mapping.
  Tensor kept = scale;
  const std::vector<uint8_t> before(static_cast<const uint8_t*>(kept.raw()),
                                    static_cast<const uint8_t*>(kept.raw()) + kept.nbytes());
  plan = Status(StatusCode::kInternal, "dropped");
  EXPECT_EQ(std::memcmp(kept.raw(), before.data(), before.size()), 0);
  std::filesystem::remove(path);
}

TEST(PlanRoundTrip, WeightsStartOn64ByteBoundaries) {
  const std::vector<uint8_t> bytes = serialize(*testing::make_plan_test_graph());
  auto header = parse_plan_header(bytes.data(), bytes.size());
  ASSERT_TRUE(header.ok()) << header.status().to_string();
  EXPECT_EQ(header->weights_offset % kPlanWeightAlignment, 0u);
  auto plan = read_plan(bytes.data(), bytes.size(), PlanTarget::cpu());
  ASSERT_TRUE(plan.ok());
  for (const auto& v : plan->graph->values())
    if (v->is_constant() && v->constant().nbytes() > 0) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(v->constant().raw()) % kPlanWeightAlignment, 0u) << v->name();
    }
}

}  // namespace
}  // namespace kiln
