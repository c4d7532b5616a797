#include "builder/stream_schedule.h"

#include "builder/memory_planner.h"
#include "passes/pass_test_util.h"

namespace kiln::testing {
namespace {

// x -> stem -> four branches (1, 2, 2 and 1 layers) -> concat -> tail: an Inception block.
Graph& inception(GraphBuilder& b) {
  Value* x = b.input("x", {1, 4, 8, 8});
  Value* stem = b.node("Relu", "stem", {x});
  Value* a = b.node("Sigmoid", "a", {stem});
  Value* c = b.node("Tanh", "c2", {b.node("Relu", "c1", {stem})});
  Value* d = b.node("Neg", "d2", {b.node("Abs", "d1", {stem})});
  Value* e = b.node("Exp", "e", {stem});
  Value* cat = b.node("Concat", "cat", {a, c, d, e}, {{"axis", Attribute::of_int(0)}});
  b.output(b.node("Relu", "tail", {cat}));
  return b.graph();
}

size_t step_of(const Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.nodes().size(); ++i)
    if (g.nodes()[i]->name() == name) return i;
  return SIZE_MAX;
}

TEST(StreamSchedule, OneStreamWithoutAuxiliaryStreams) {
  GraphBuilder b;
  Graph& g = inception(b);
  const StreamSchedule s = schedule_streams(g, 0, {});
  EXPECT_EQ(s.streams, 1);
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    EXPECT_EQ(s.stream[i], 0);
    EXPECT_TRUE(s.waits[i].empty());
    EXPECT_EQ(s.reader_horizon[i], i);
  }
}

TEST(StreamSchedule, BranchesRunOnAuxiliaryStreamsAndJoin) {
  GraphBuilder b;
  Graph& g = inception(b);
  const StreamSchedule s = schedule_streams(g, 3, {});
  EXPECT_EQ(s.streams, 4);
  // The first branch continues the stem's stream; each other branch starts on its own stream.
  std::set<int> branch_streams;
  for (const char* n : {"a", "c1", "d1", "e"}) branch_streams.insert(s.stream[step_of(g, n)]);
  EXPECT_EQ(branch_streams.size(), 4u);
  EXPECT_EQ(s.stream[step_of(g, "c2")], s.stream[step_of(g, "c1")]);
  // The concat waits for the branches on other streams.
  EXPECT_EQ(s.waits[step_of(g, "cat")].size(), 3u);
  // Bytes the stem's output occupies are read by branches running concurrently: they stay alive
  // until the concat, after which everything is ordered.
  EXPECT_GE(s.reader_horizon[step_of(g, "a")], step_of(g, "e"));
  EXPECT_EQ(s.reader_horizon[step_of(g, "tail")], step_of(g, "tail"));
}

TEST(StreamSchedule, ConcurrentTensorsNeverShareMemory) {
  GraphBuilder b;
  Graph& g = inception(b);
  auto dims = infer_concrete_dims(g, {{1, 4, 8, 8}});
  ASSERT_TRUE(dims.ok());
  const ActivationPlan first = plan_memory(g, *dims, {false, nullptr});
  const StreamSchedule s = schedule_streams(g, 3, first.skipped_nodes);
  const ActivationPlan plan = plan_memory(g, *dims, {false, &s.reader_horizon});
  // Every pair of branch tensors is live at once, so their byte ranges are disjoint.
  std::vector<const Value*> branch;
  for (const char* n : {"a", "c1", "c2", "d1", "d2", "e"}) branch.push_back(g.nodes()[step_of(g, n)]->output(0));
  for (size_t i = 0; i < branch.size(); ++i)
    for (size_t j = i + 1; j < branch.size(); ++j) {
      const ValueMemory& x = plan.values.at(branch[i]);
      const ValueMemory& y = plan.values.at(branch[j]);
      const bool disjoint = x.offset + x.bytes <= y.offset || y.offset + y.bytes <= x.offset;
      EXPECT_TRUE(disjoint) << branch[i]->name() << " and " << branch[j]->name();
    }
  EXPECT_EQ(plan.in_place, 0);
  // Planned for one stream, c1's bytes would be reused by a later branch while c2 may still read them.
  bool reused = false;
  for (const Value* v : branch)
    if (v != branch[1]) {
      const ValueMemory& x = first.values.at(branch[1]);
      const ValueMemory& y = first.values.at(v);
      reused = reused || !(x.offset + x.bytes <= y.offset || y.offset + y.bytes <= x.offset);
    }
  EXPECT_TRUE(reused) << "the sequential plan no longer reuses c1's bytes; this test lost its point";
}

}  // namespace
}  // namespace kiln::testing
