// A plan runs only on the target it was built for; each differing field is named.
#include <gtest/gtest.h>

#include <functional>

#include "kiln/kiln.h"
#include "plan/plan.h"
#include "plan/plan_test_graph.h"

namespace kiln {
namespace {

PlanTarget h100() { return {"cuda", "NVIDIA H100 80GB HBM3", 9, 0, 12040, 90100}; }

std::vector<uint8_t> plan_for(const PlanTarget& target) {
  PlanInfo info;
  info.target = target;
  auto bytes = serialize_plan(*testing::make_plan_test_graph(), info);
  EXPECT_TRUE(bytes.ok()) << bytes.status().to_string();
  return bytes.ok() ? *bytes : std::vector<uint8_t>();
}

struct FieldCase {
  const char* field;
  std::function<void(PlanTarget&)> change;
  const char* message;
};

TEST(PlanTargetCheck, EachDifferingFieldIsNamed) {
  const std::vector<uint8_t> bytes = plan_for(h100());
  const FieldCase cases[] = {
      {"backend", [](PlanTarget& t) { t = PlanTarget::cpu(); }, "plan was built for backend 'cuda' but this runtime is 'cpu'"},
      {"gpu_name", [](PlanTarget& t) { t.gpu_name = "NVIDIA A100"; },
       "plan was built for GPU 'NVIDIA H100 80GB HBM3' but this runtime's GPU is 'NVIDIA A100'"},
      {"compute_major", [](PlanTarget& t) { t.compute_major = 8; },
       "plan was built for compute capability 9.0 but this runtime's GPU is 8.0"},
      {"compute_minor", [](PlanTarget& t) { t.compute_minor = 1; },
       "plan was built for compute capability 9.0 but this runtime's GPU is 9.1"},
      {"cuda_runtime_version", [](PlanTarget& t) { t.cuda_runtime_version = 12020; },
       "plan was built for CUDA runtime version 12040 but this runtime has 12020"},
      {"cudnn_version", [](PlanTarget& t) { t.cudnn_version = 8900; },
       "plan was built for cuDNN version 90100 but this runtime has 8900"},
  };
  for (const FieldCase& c : cases) {
    PlanTarget runtime = h100();
    c.change(runtime);
    Status s = read_plan(bytes.data(), bytes.size(), runtime).status();
    EXPECT_EQ(s.code(), StatusCode::kUnsupported) << c.field;
    EXPECT_NE(s.message().find(c.message), std::string::npos) << c.field << ": " << s.message();
  }
  EXPECT_TRUE(read_plan(bytes.data(), bytes.size(), h100()).ok());
}

TEST(PlanTargetCheck, AnyTargetCanBeInspected) {
  const std::vector<uint8_t> bytes = plan_for(h100());
  auto plan = read_plan(bytes.data(), bytes.size(), std::nullopt);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  EXPECT_EQ(plan->info.target.backend, "cuda");
}

TEST(PlanTargetCheck, CpuRuntimeRefusesACudaPlan) {
  const std::vector<uint8_t> bytes = plan_for(h100());
  auto engine = Runtime().deserialize(bytes.data(), bytes.size());
  ASSERT_FALSE(engine.ok());
  EXPECT_NE(engine.status().message().find("plan was built for backend 'cuda' but this runtime is 'cpu'"),
            std::string::npos)
      << engine.status().message();
}

}  // namespace
}  // namespace kiln
