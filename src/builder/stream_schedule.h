// The stream schedule: independent branches (GoogLeNet's Inception paths) run on auxiliary
// streams, joined by events. A layer continues the stream of one of its producers when it is
// that stream's latest layer and no sibling took it first; otherwise it starts a branch on the
// next auxiliary stream. A layer waits for producers on other streams. Everything is decided
// here, on the host, so the runtime only records and waits on events (and a CUDA graph captures
// the same fork/join structure).
//
// Running branches concurrently changes when memory may be reused: bytes a layer reads stay
// alive until every later layer is ordered after it (`reader_horizon`, which the memory
// planner takes).
#pragma once

#include <unordered_set>
#include <vector>

#include "ir/graph.h"

namespace kiln {

struct StreamSchedule {
  int streams = 1;                         // main + auxiliary streams used
  std::vector<int> stream;                 // per node step; skipped nodes: their producer's
  std::vector<std::vector<size_t>> waits;  // per node step: steps on other streams it waits for
  std::vector<size_t> last_on_stream;      // per stream: the step of its last layer (joined at the end)
  // Per node step s: the last step that is not ordered after s (s itself if none), so memory
  // read at s may be reused only by layers after it.
  std::vector<size_t> reader_horizon;
};

// `skipped` layers do no work (views, eliminated concats): dependencies pass through them.
StreamSchedule schedule_streams(const Graph& graph, int aux_streams, const std::unordered_set<const Node*>& skipped);

}  // namespace kiln
