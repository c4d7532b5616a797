#include "builder/stream_schedule.h"

#include <algorithm>
#include <unordered_map>

namespace kiln {

namespace {

// Steps of the working layers a node depends on, looking through skipped layers.
void real_producers(const Node& node, const std::unordered_map<const Node*, size_t>& step_of,
                    const std::unordered_set<const Node*>& skipped, std::vector<size_t>& out) {
  for (const Value* v : node.inputs()) {
    if (v == nullptr || v->producer() == nullptr) continue;
    const Node* p = v->producer();
    if (skipped.count(p)) {
      real_producers(*p, step_of, skipped, out);
    } else if (auto it = step_of.find(p); it != step_of.end()) {
      if (std::find(out.begin(), out.end(), it->second) == out.end()) out.push_back(it->second);
    }
  }
}

}  // namespace

StreamSchedule schedule_streams(const Graph& graph, int aux_streams, const std::unordered_set<const Node*>& skipped) {
  const size_t n = graph.nodes().size();
  StreamSchedule s;
  s.stream.assign(n, 0);
  s.waits.assign(n, {});
  s.reader_horizon.resize(n);
  std::unordered_map<const Node*, size_t> step_of;
  for (size_t i = 0; i < n; ++i) step_of[graph.nodes()[i].get()] = i;
  const int total = 1 + std::max(aux_streams, 0);
  std::vector<long> last(static_cast<size_t>(total), -1);  // per stream: latest step on it
  std::vector<bool> continued(n, false);
  std::vector<long> previous_on_stream(n, -1);
  int next_aux = 0;
  std::vector<std::vector<size_t>> deps(n);
  for (size_t i = 0; i < n; ++i) {
    const Node& node = *graph.nodes()[i];
    real_producers(node, step_of, skipped, deps[i]);
    if (skipped.count(&node)) {
      s.stream[i] = deps[i].empty() ? 0 : s.stream[deps[i].front()];
      continue;
    }
    int chosen = -1;
    for (size_t d : deps[i]) {
      const int sd = s.stream[d];
      if (!continued[d] && last[static_cast<size_t>(sd)] == static_cast<long>(d)) {
        chosen = sd;
        continued[d] = true;
        break;
      }
    }
    if (chosen < 0) {
      if (deps[i].empty() || total == 1) {
        chosen = 0;
      } else {
        chosen = 1 + next_aux;
        next_aux = (next_aux + 1) % (total - 1);
      }
    }
    s.stream[i] = chosen;
    previous_on_stream[i] = last[static_cast<size_t>(chosen)];
    last[static_cast<size_t>(chosen)] = static_cast<long>(i);
    for (size_t d : deps[i])
      if (s.stream[d] != chosen) s.waits[i].push_back(d);
    s.streams = std::max(s.streams, chosen + 1);
  }
  for (long l : last) s.last_on_stream.push_back(l < 0 ? 0 : static_cast<size_t>(l));
  s.last_on_stream.resize(static_cast<size_t>(s.streams));
  // Happens-before sets as bit vectors: a layer is ordered after its stream predecessor and the
  // layers it waits for, and everything ordered before them. Skipped layers run nowhere: they
  // are ordered like their producers.
  std::vector<std::vector<bool>> before(n, std::vector<bool>(n, false));
  for (size_t i = 0; i < n; ++i) {
    std::vector<size_t> preds = s.waits[i];
    if (previous_on_stream[i] >= 0) preds.push_back(static_cast<size_t>(previous_on_stream[i]));
    if (skipped.count(graph.nodes()[i].get())) preds = deps[i];
    for (size_t p : preds) {
      before[i][p] = true;
      for (size_t k = 0; k < n; ++k)
        if (before[p][k]) before[i][k] = true;
    }
  }
  for (size_t r = 0; r < n; ++r) {
    size_t horizon = r;
    if (s.streams > 1)
      for (size_t j = r + 1; j < n; ++j)
        if (!before[j][r] && !skipped.count(graph.nodes()[j].get())) horizon = j;
    s.reader_horizon[r] = horizon;
  }
  return s;
}

}  // namespace kiln
