// The memory planner: random graphs prove no live bytes are ever overwritten; small graphs pin
// down in-place, views and concat elimination.
#include "builder/memory_planner.h"

#include <gtest/gtest.h>

#include <random>

namespace kiln {
namespace {

// Builds graphs of float32 values directly, with the concrete dims the planner works from.
class GraphMaker {
 public:
  GraphMaker() { g.name = "test"; }

  Value* input(std::vector<int64_t> dims) {
    Value* v = new_value(std::move(dims), /*planned=*/false);
    g.inputs().push_back(v);
    return v;
  }
  // A node with one output; unplanned: the planner gets no dims for it (a data-dependent shape).
  Value* node(const std::string& op, std::vector<Value*> inputs, std::vector<int64_t> dims, bool planned = true) {
    return node_outputs(op, std::move(inputs), {std::move(dims)}, planned)[0];
  }
  // Concats are along axis 1.
  std::vector<Value*> node_outputs(const std::string& op, std::vector<Value*> inputs,
                                   std::vector<std::vector<int64_t>> dims, bool planned = true) {
    Node* n = g.add_node(g.unique_node_name(op), op, "", 17);
    if (op == "Concat") n->attrs()["axis"] = Attribute::of_int(1);
    n->inputs() = std::move(inputs);
    std::vector<Value*> outs;
    for (auto& d : dims) {
      Value* v = new_value(std::move(d), planned);
      v->set_producer(n);
      n->outputs().push_back(v);
      outs.push_back(v);
    }
    return outs;
  }
  void output(Value* v) { g.outputs().push_back(v); }
  ActivationPlan plan() const { return plan_memory(g, dims); }

  Graph g;
  ConcreteDims dims;

 private:
  Value* new_value(std::vector<int64_t> d, bool planned) {
    Value* v = *g.add_value(g.unique_value_name("v"));
    v->set_type(DataType::kFloat32, Shape::from_dims(d));
    if (planned) dims[v] = std::move(d);
    return v;
  }
};

const Value* root_of(const ActivationPlan& plan, const Value* v) {
  while (const Value* up = plan.values.at(v).alias_of) v = up;
  return v;
}

// Layout rules: roots aligned, aliases inside what they alias, everything inside the arena,
// and values live at the same time share bytes only when they share a group on purpose.
void check_layout(const ActivationPlan& plan) {
  ASSERT_GE(plan.arena_bytes, plan.peak_bytes);
  for (const auto& [v, m] : plan.values) {
    EXPECT_LE(m.offset + m.bytes, plan.arena_bytes) << v->name();
    if (m.alias_of == nullptr) {
      EXPECT_EQ(m.sharing, Sharing::kOwn);
      EXPECT_EQ(m.offset % kArenaAlignment, 0u) << v->name();
      continue;
    }
    const ValueMemory& parent = plan.values.at(m.alias_of);
    EXPECT_EQ(m.offset, parent.offset + m.alias_offset) << v->name();
    EXPECT_LE(m.alias_offset + m.bytes, parent.bytes) << v->name();
  }
  for (const auto& [u, mu] : plan.values)
    for (const auto& [v, mv] : plan.values) {
      if (u >= v) continue;
      const bool live_together = mu.first_step <= mv.last_step && mv.first_step <= mu.last_step;
      const bool share_bytes = mu.offset < mv.offset + mv.bytes && mv.offset < mu.offset + mu.bytes;
      if (live_together && share_bytes) {
        EXPECT_EQ(root_of(plan, u), root_of(plan, v)) << u->name() << " and " << v->name() << " overlap";
      }
    }
}

// Runs the plan on a simulated arena: each computed value writes unique tokens to its bytes,
// views and eliminated concats write nothing, and every read checks that the bytes still hold
// exactly what the value should (its own tokens, its source's for a view, its slices' for a
// concat). An overwrite of anything still needed fails a later read.
void check_by_simulation(const Graph& g, const ActivationPlan& plan) {
  constexpr size_t kWord = 4;  // every test value is float32
  std::vector<uint64_t> arena(plan.arena_bytes / kWord, 0);
  std::unordered_map<const Value*, std::vector<uint64_t>> expected;
  uint64_t next_token = 1;
  auto check = [&](const Value* v, const std::string& when) {
    const ValueMemory& m = plan.values.at(v);
    const std::vector<uint64_t> now(arena.begin() + static_cast<ptrdiff_t>(m.offset / kWord),
                                    arena.begin() + static_cast<ptrdiff_t>((m.offset + m.bytes) / kWord));
    EXPECT_EQ(now, expected.at(v)) << v->name() << " was overwritten before " << when;
  };
  for (const auto& n : g.nodes()) {
    for (const Value* in : n->inputs())
      if (plan.values.count(in)) check(in, n->name());
    if (plan.skipped_nodes.count(n.get())) {
      std::vector<uint64_t> content;
      for (const Value* in : n->op_type() == "Concat" ? n->inputs() : std::vector<Value*>{n->input(0)})
        content.insert(content.end(), expected.at(in).begin(), expected.at(in).end());
      expected[n->output(0)] = content;
      check(n->output(0), n->name() + " (no work)");
      continue;
    }
    for (const Value* out : n->outputs()) {
      if (!plan.values.count(out)) continue;
      const ValueMemory& m = plan.values.at(out);
      std::vector<uint64_t>& content = expected[out];
      for (size_t w = 0; w < m.bytes / kWord; ++w) {
        content.push_back(next_token++);
        arena[m.offset / kWord + w] = content.back();
      }
    }
  }
  for (const Value* v : g.outputs())
    if (plan.values.count(v)) check(v, "the end");
}

// A random DAG of [1, c, 4, 4] values: opaque ops (one or two outputs), Relu and Add (in-place
// candidates), Reshape (views), channel Concats (slice candidates, nested too), some values left
// unplanned, random graph outputs.
void make_random_graph(GraphMaker& m, std::mt19937& rng) {
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  std::vector<Value*> pool = {m.input({1, 1 + pick(8), 4, 4})};
  auto channels = [&](const Value* v) { return v->shape()[1].value; };
  // Recent values are read more often, so lifetimes vary from short to long.
  auto recent = [&]() { return pool[pool.size() - 1 - static_cast<size_t>(pick(std::min<int>(6, static_cast<int>(pool.size()))))]; };
  const int nodes = 3 + pick(40);
  for (int i = 0; i < nodes; ++i) {
    const int op = pick(10);
    const bool planned = pick(10) != 0;
    auto dims_of = [](int64_t c) { return std::vector<int64_t>{1, c, 4, 4}; };
    Value* a = recent();
    if (op <= 2) {
      const int outputs = pick(4) == 0 ? 2 : 1;
      std::vector<std::vector<int64_t>> dims;
      for (int k = 0; k < outputs; ++k) dims.push_back(dims_of(1 + pick(40)));
      std::vector<Value*> inputs = {a};
      if (pick(2)) inputs.push_back(pool[static_cast<size_t>(pick(static_cast<int>(pool.size())))]);
      for (Value* v : m.node_outputs("Conv", inputs, dims, planned)) pool.push_back(v);
    } else if (op <= 4) {
      pool.push_back(m.node("Relu", {a}, dims_of(channels(a)), planned));
    } else if (op == 5) {
      Value* b = a;
      for (Value* v : pool)
        if (channels(v) == channels(a) && pick(2)) b = v;
      pool.push_back(m.node("Add", {a, b}, dims_of(channels(a)), planned));
    } else if (op == 6) {
      pool.push_back(m.node("Reshape", {a}, dims_of(channels(a)), planned));
    } else {
      std::vector<Value*> inputs;
      int64_t c = 0;
      for (int k = 0, count = 1 + pick(4); k < count; ++k) {
        inputs.push_back(k == 0 ? a : recent());
        c += channels(inputs.back());
      }
      pool.push_back(m.node("Concat", inputs, dims_of(c), planned));
    }
    if (pick(8) == 0) m.output(pool.back());
  }
  m.output(pool.back());
}

TEST(MemoryPlanner, RandomGraphsNeverOverwriteLiveBytes) {
  std::mt19937 rng(20240611);
  int concats = 0, in_place = 0, views = 0;
  for (int trial = 0; trial < 400; ++trial) {
    GraphMaker m;
    make_random_graph(m, rng);
    const ActivationPlan plan = m.plan();
    check_layout(plan);
    check_by_simulation(m.g, plan);
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "trial " << trial << ":\n" << dump_graph(m.g);
      return;
    }
    concats += plan.concats_eliminated;
    in_place += plan.in_place;
    views += plan.views;
  }
  // The graphs exercise every kind of sharing.
  EXPECT_GT(concats, 20);
  EXPECT_GT(in_place, 20);
  EXPECT_GT(views, 20);
}

TEST(MemoryPlanner, ChainReusesMemoryAndReportsPeak) {
  GraphMaker m;
  Value* v = m.input({1, 64});
  for (int i = 0; i < 6; ++i) v = m.node("Conv", {v}, {1, 64});  // 256 bytes each
  m.output(v);
  const ActivationPlan plan = m.plan();
  EXPECT_EQ(plan.total_bytes, 6u * 256);
  EXPECT_EQ(plan.peak_bytes, 2u * 256);  // a node's input and output
  EXPECT_EQ(plan.arena_bytes, 2u * 256);
  EXPECT_EQ(plan.summary(),
            "memory: peak activations 512 bytes (33.3% of 1536 bytes summed over all activation tensors), "
            "arena 512 bytes, 0 concats eliminated, 0 in-place, 0 aliases");
}

TEST(MemoryPlanner, ElementwiseOpWritesOverAnInputThatDiesThere) {
  GraphMaker m;
  Value* x = m.input({1, 8});
  Value* a = m.node("Conv", {x}, {1, 8});
  Value* r = m.node("Relu", {a}, {1, 8});
  Value* s = m.node("Add", {r, a}, {1, 8});  // `a` is read again: the Relu must not overwrite it
  m.output(s);
  const ActivationPlan plan = m.plan();
  EXPECT_EQ(plan.values.at(r).sharing, Sharing::kOwn);
  EXPECT_EQ(plan.values.at(s).sharing, Sharing::kInPlace);
  EXPECT_EQ(plan.values.at(s).alias_of, r);  // the first input that dies at the Add
  EXPECT_EQ(plan.values.at(s).offset, plan.values.at(r).offset);
  EXPECT_EQ(plan.in_place, 1);
}

TEST(MemoryPlanner, ElementwiseOpDoesNotOverwriteAGraphInputOrABroadcastInput) {
  GraphMaker m;
  Value* x = m.input({1, 8});
  Value* r = m.node("Relu", {x}, {1, 8});
  Value* b = m.node("Conv", {x}, {1, 1});
  Value* s = m.node("Add", {r, b}, {1, 8});  // b broadcasts: never in place over it
  m.output(s);
  const ActivationPlan plan = m.plan();
  EXPECT_EQ(plan.values.at(r).sharing, Sharing::kOwn);
  EXPECT_EQ(plan.values.at(s).alias_of, r);
  EXPECT_EQ(plan.in_place, 1);
}

TEST(MemoryPlanner, ReshapeIsAViewAndDoesNoWork) {
  GraphMaker m;
  Value* x = m.input({1, 8});
  Value* a = m.node("Conv", {x}, {1, 8});
  Value* r = m.node("Reshape", {a}, {2, 4});
  Value* c = m.node("Conv", {r}, {1, 8});
  m.output(c);
  const ActivationPlan plan = m.plan();
  EXPECT_EQ(plan.values.at(r).sharing, Sharing::kView);
  EXPECT_EQ(plan.values.at(r).offset, plan.values.at(a).offset);
  EXPECT_TRUE(plan.skipped_nodes.count(r->producer()));
  EXPECT_EQ(plan.views, 1);
  // The view keeps its source's bytes alive until the view's last read.
  EXPECT_NE(plan.values.at(c).offset, plan.values.at(a).offset);
}

TEST(MemoryPlanner, ConcatInputsAreProducedIntoTheirSlices) {
  GraphMaker m;
  Value* x = m.input({1, 3, 2, 2});
  Value* a = m.node("Conv", {x}, {1, 4, 2, 2});           // 64 bytes
  Value* b = m.node("Relu", {m.node("Conv", {x}, {1, 2, 2, 2})}, {1, 2, 2, 2});  // in place, 32 bytes
  Value* c = m.node("Concat", {a, b}, {1, 6, 2, 2});
  Value* d = m.node("Conv", {x}, {1, 2, 2, 2});
  Value* e = m.node("Concat", {c, d}, {1, 8, 2, 2});      // nested
  m.output(e);
  const ActivationPlan plan = m.plan();
  EXPECT_EQ(plan.concats_eliminated, 2);
  EXPECT_TRUE(plan.skipped_nodes.count(c->producer()));
  EXPECT_TRUE(plan.skipped_nodes.count(e->producer()));
  const size_t base = plan.values.at(e).offset;
  EXPECT_EQ(plan.values.at(c).offset, base);
  EXPECT_EQ(plan.values.at(a).offset, base);
  EXPECT_EQ(plan.values.at(b).offset, base + 64);
  EXPECT_EQ(plan.values.at(b->producer()->input(0)).offset, base + 64);  // the Relu's input too
  EXPECT_EQ(plan.values.at(d).offset, base + 96);
  EXPECT_EQ(plan.values.at(a).sharing, Sharing::kConcatSlice);
  EXPECT_EQ(plan.values.at(a).alias_of, c);
  check_layout(plan);
}

TEST(MemoryPlanner, ConcatStaysWhenAnInputCannotBeASlice) {
  {  // an input read elsewhere too
    GraphMaker m;
    Value* x = m.input({1, 3});
    Value* a = m.node("Conv", {x}, {1, 4});
    Value* c = m.node("Concat", {a, m.node("Conv", {x}, {1, 4})}, {1, 8});
    m.output(m.node("Add", {c, m.node("Concat", {a, a}, {1, 8})}, {1, 8}));
    EXPECT_EQ(m.plan().concats_eliminated, 0);
  }
  {  // a graph input
    GraphMaker m;
    Value* x = m.input({1, 4});
    m.output(m.node("Concat", {x, m.node("Conv", {x}, {1, 4})}, {1, 8}));
    EXPECT_EQ(m.plan().concats_eliminated, 0);
  }
  {  // batch 2: an input is not one byte range of the output
    GraphMaker m;
    Value* x = m.input({2, 3});
    m.output(m.node("Concat", {m.node("Conv", {x}, {2, 4}), m.node("Conv", {x}, {2, 4})}, {2, 8}));
    EXPECT_EQ(m.plan().concats_eliminated, 0);
  }
  {  // a graph output
    GraphMaker m;
    Value* x = m.input({1, 3});
    Value* a = m.node("Conv", {x}, {1, 4});
    m.output(a);
    m.output(m.node("Concat", {a, m.node("Conv", {x}, {1, 4})}, {1, 8}));
    EXPECT_EQ(m.plan().concats_eliminated, 0);
  }
}

TEST(MemoryPlanner, ConcatOfASecondOutputIsEliminated) {
  // A node with several outputs (a horizontally fused conv) feeding one concat.
  GraphMaker m;
  Value* x = m.input({1, 3});
  auto outs = m.node_outputs("Conv", {x}, {{1, 64}, {1, 64}});
  Value* c = m.node("Concat", {outs[1], outs[0]}, {1, 128});
  m.output(c);
  const ActivationPlan plan = m.plan();
  EXPECT_EQ(plan.concats_eliminated, 1);
  EXPECT_EQ(plan.values.at(outs[1]).offset, plan.values.at(c).offset);
  EXPECT_EQ(plan.values.at(outs[0]).offset, plan.values.at(c).offset + 256);
}

TEST(MemoryPlanner, ValuesASubgraphReadsLiveUntilItsNode) {
  GraphMaker m;
  Value* x = m.input({1, 64});
  Value* a = m.node("Conv", {x}, {1, 64});
  Value* b = m.node("Conv", {x}, {1, 64});
  Value* c = m.node("Conv", {b}, {1, 64});
  auto body = std::make_shared<Graph>();
  body->captures().push_back(*body->add_value(a->name()));  // read by name, not as an input
  Value* out = m.node("If", {c}, {1, 64});
  out->producer()->attrs()["then_branch"] = Attribute::of_graph(body);
  m.output(out);
  const ActivationPlan plan = m.plan();
  EXPECT_EQ(plan.values.at(a).last_step, 3u);
  check_layout(plan);
}

TEST(MemoryPlanner, ValuesWithoutDimsAreNotPlanned) {
  GraphMaker m;
  Value* x = m.input({1, 3});
  Value* a = m.node("NonZero", {x}, {2, 3}, /*planned=*/false);
  m.output(m.node("Relu", {a}, {2, 3}, /*planned=*/false));
  const ActivationPlan plan = m.plan();
  EXPECT_TRUE(plan.values.empty());
  EXPECT_EQ(plan.arena_bytes, 0u);
}

}  // namespace
}  // namespace kiln
