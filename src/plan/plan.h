// Plan files: Kiln's serialized engine. A plan holds the graph (with its weights in a
// memory-mappable section), the build configuration, the target it was built for, per-layer
// annotations and, optionally, the memory plan. docs/plan-format.md describes the format.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kiln/kiln.h"
#include "kiln/status.h"

namespace kiln {

// How the plan was built. Fields past the optimization level are reserved for the builder's
// precision modes; the CPU engine leaves them off.
struct PlanBuildConfig {
  int optimization_level = 0;
  bool tf32 = false;
  bool fp16 = false;
  bool bf16 = false;
  bool int8 = false;
  bool fp8 = false;
  uint64_t workspace_limit = 0;  // bytes; 0 = no limit
  int aux_streams = 0;           // auxiliary streams for independent branches (cuda)
  bool host_fallback = false;    // layers without a CUDA tactic may run on the host (cuda)
};

// What a plan runs on. A runtime refuses a plan whose target differs from its own in any field.
struct PlanTarget {
  std::string backend;  // "cpu" or "cuda"
  std::string gpu_name;
  int compute_major = 0;
  int compute_minor = 0;
  int cuda_runtime_version = 0;
  int cudnn_version = 0;

  static PlanTarget cpu() {
    PlanTarget t;
    t.backend = "cpu";
    return t;
  }
};

// What `kiln inspect` shows for a layer: the kernel chosen for it and its precision.
struct NodeAnnotation {
  std::string tactic;
  std::string precision;
  std::string provider;  // CUDA plans: the tactic's provider and id, to recreate it on load
  int64_t tactic_id = 0;
  float tactic_ms = 0.f;  // measured at build
};

// Where the memory planner placed a tensor (an index into the top-level graph's values()).
struct TensorPlacement {
  int value = 0;
  uint64_t offset = 0;
  uint64_t bytes = 0;
};

struct MemoryPlan {
  uint64_t arena_bytes = 0;
  std::vector<TensorPlacement> placements;
};

// Everything a plan holds besides the graph.
struct PlanInfo {
  PlanBuildConfig build;
  PlanTarget target = PlanTarget::cpu();
  // Empty, or one per top-level node, in node order.
  std::vector<NodeAnnotation> annotations;
  std::optional<MemoryPlan> memory_plan;
  // Optimization profiles; checked against the graph by the engine that loads them.
  std::vector<OptimizationProfile> profiles;
};

struct LoadedPlan {
  // Constants point into the plan's bytes (the mapping of the file), which they keep alive.
  std::shared_ptr<Graph> graph;
  PlanInfo info;  // annotations: one per graph node, in node order
  std::string kiln_version;
  uint64_t weights_bytes = 0;
  uint64_t file_bytes = 0;
};

// The plan for `graph` (topologically sorted, as the importer leaves it) as bytes.
Expected<std::vector<uint8_t>> serialize_plan(const Graph& graph, const PlanInfo& info);
// Writes plan bytes to `path` through a temporary file, so a failed write leaves no partial plan.
Status write_plan_file(const std::vector<uint8_t>& bytes, const std::string& path);
Status write_plan(const Graph& graph, const PlanInfo& info, const std::string& path);

// Reads and verifies a plan (header, checksum, flatbuffer, every index, size and enum, the op
// schemas, the graph's order) before anything uses it; a plan built for a target other than
// `expected_target` is refused naming the field that differs. `expected_target` nullopt accepts
// any target (for inspecting plans built elsewhere). The file is memory-mapped; the bytes
// overload copies them into aligned memory the graph owns.
Expected<LoadedPlan> read_plan(const std::string& path, const std::optional<PlanTarget>& expected_target);
Expected<LoadedPlan> read_plan(const void* data, size_t size, const std::optional<PlanTarget>& expected_target);

// Ok when a plan built for `plan` can run on `runtime`; else names the first field that differs.
Status check_plan_target(const PlanTarget& plan, const PlanTarget& runtime);

}  // namespace kiln
