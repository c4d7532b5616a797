// Tactic selection: every candidate of every provider that supports a layer is timed on the GPU
// (CUDA events, warm-up, median of several runs) and the fastest is kept. A timing cache skips
// the timing of layers measured before.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backends/cuda/layer_kernel.h"
#include "builder/concrete_shapes.h"
#include "builder/tactic_sources.h"
#include "builder/timing_cache.h"
#include "plan/plan.h"

namespace kiln {

struct TacticSelectionOptions {
  bool allow_tf32 = true;
  size_t workspace_limit = size_t{1} << 30;
  bool allow_host_fallback = true;
  bool verbose = false;
  TacticSources sources;  // providers ruled out are neither timed nor taken from the cache
  std::function<void(const std::string&)> log;           // lines
  std::function<void(size_t done, size_t total)> progress;
};

struct TacticSelection {
  std::vector<NodeAnnotation> annotations;  // one per node
  std::vector<std::string> host_layers;     // layers on the host fallback
  int timed_layers = 0;
  int deferred_layers = 0;  // shapes depend on shape-tensor inputs: chosen when the engine runs
  int cached_layers = 0;
  int candidates_timed = 0;
  double seconds = 0;
  double setup_seconds = 0;  // of `seconds`, creating candidates (where slow builds spend it)
};

// `dims` holds every value's dims (graph inputs included); `constant_ptr` gives a constant's
// device copy.
Expected<TacticSelection> select_tactics(const Graph& graph, const ConcreteDims& dims,
                                         const std::function<const void*(const Value*)>& constant_ptr,
                                         const cuda::DeviceContext& dev, TimingCache& cache,
                                         const TacticSelectionOptions& options);

}  // namespace kiln
