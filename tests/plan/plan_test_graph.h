// Test helper for the plan tests: a small graph that exercises every part of the plan format
// (all attribute types, a subgraph with a capture, absent inputs, symbolic dims, constants of
// several types including an empty one), on a test-only op so it runs whichever real ops exist.
#pragma once

#include <cstring>
#include <memory>

#include "backends/reference/kernel.h"
#include "ir/op_schema.h"

namespace kiln::testing {

// PlanTestAxpy(x, scale?, bias?) = alpha * x * scale + bias + offset[0] + count, elementwise
// over float32 tensors of equal size. The other attributes only exist to be serialized.
inline void register_plan_test_op() {
  static const bool registered = [] {
    OpRegistry::global().add(OpSchema("PlanTestAxpy", "kiln.test")
                                 .inputs(1, 3)
                                 .attr("alpha", Attribute::of_float(1.f))
                                 .attr("count", Attribute::of_int(0))
                                 .attr("mode", Attribute::of_string("add"))
                                 .attr("tags", AttrType::kStrings)
                                 .attr("sizes", AttrType::kInts)
                                 .attr("weights", AttrType::kFloats)
                                 .attr("offset", AttrType::kTensor)
                                 .attr("body", AttrType::kGraph)
                                 .infer([](InferContext& ctx) {
                                   ctx.set_output(0, ctx.input_type(0), ctx.input_shape(0));
                                   return Status::Ok();
                                 }));
    KernelRegistry::global().add(
        "PlanTestAxpy",
        [](KernelContext& ctx) -> Status {
          const Tensor& x = ctx.input(0);
          for (int i = 1; i < 3; ++i)
            if (ctx.has_input(i) && ctx.input(i).numel() != x.numel()) return invalid_argument("size mismatch");
          const Node& n = ctx.node();
          const Attribute* offset = n.attr("offset");
          const float add = static_cast<float>(n.attr_int("count")) +
                            (offset != nullptr && offset->t.numel() > 0 ? offset->t.data<float>()[0] : 0.f);
          const float alpha = n.attr_float("alpha");
          float* y = ctx.output(0).data<float>();
          for (int64_t i = 0; i < x.numel(); ++i) {
            const float scale = ctx.has_input(1) ? ctx.input(1).data<float>()[i] : 1.f;
            const float bias = ctx.has_input(2) ? ctx.input(2).data<float>()[i] : 0.f;
            y[i] = alpha * x.data<float>()[i] * scale + bias + add;
          }
          return Status::Ok();
        },
        "kiln.test");
    return true;
  }();
  (void)registered;
}

inline Tensor plan_test_tensor(DataType dtype, std::vector<int64_t> dims, uint8_t seed) {
  Tensor t(dtype, std::move(dims));
  auto* p = static_cast<uint8_t*>(t.raw());
  // Small floats (exponent byte kept low) so every value is finite.
  for (size_t i = 0; i < t.nbytes(); ++i) p[i] = static_cast<uint8_t>(i % 4 == 3 ? 0x3e : (i * 37 + seed) & 0xff);
  return t;
}

inline Value* plan_test_value(Graph& g, const std::string& name, Shape shape) {
  Value* v = *g.add_value(name);
  v->set_type(DataType::kFloat32, std::move(shape));
  return v;
}

inline Node* plan_test_node(Graph& g, const std::string& name, std::vector<Value*> inputs, Value* output) {
  Node* n = g.add_node(name, "PlanTestAxpy", "kiln.test", 1);
  n->inputs() = std::move(inputs);
  n->outputs() = {output};
  output->set_producer(n);
  return n;
}

inline std::shared_ptr<Graph> make_plan_test_graph() {
  register_plan_test_op();
  // The body subgraph: reads the outer "scale" as a capture.
  auto body = std::make_shared<Graph>();
  body->name = "body";
  Value* t = plan_test_value(*body, "t", Shape({2, 8}));
  Value* captured = plan_test_value(*body, "scale", Shape({2, 8}));
  (*body->add_value("k"))->set_constant(plan_test_tensor(DataType::kInt64, {3}, 5));
  Value* u = plan_test_value(*body, "u", Shape({2, 8}));
  body->inputs() = {t};
  body->captures() = {captured};
  plan_test_node(*body, "inner", {t, captured}, u);
  body->outputs() = {u};

  auto g = std::make_shared<Graph>();
  g->name = "plan_test";
  Value* x = plan_test_value(*g, "x", Shape({Dim::symbolic("N"), 8}));
  g->inputs() = {x};
  Value* scale = *g->add_value("scale");
  scale->set_constant(plan_test_tensor(DataType::kFloat32, {2, 8}, 1));
  Value* bias = *g->add_value("bias");
  bias->set_constant(plan_test_tensor(DataType::kFloat32, {2, 8}, 2));
  Value* bias2 = *g->add_value("bias2");
  bias2->set_constant(plan_test_tensor(DataType::kFloat32, {16}, 3));
  (*g->add_value("half"))->set_constant(plan_test_tensor(DataType::kFloat16, {3}, 4));
  (*g->add_value("empty"))->set_constant(Tensor(DataType::kFloat32, {0, 3}));
  Value* h = plan_test_value(*g, "h", Shape({Dim::symbolic("N"), 8}));
  Value* y = plan_test_value(*g, "y", Shape({Dim::symbolic("N"), Dim()}));

  Node* a = plan_test_node(*g, "a", {x, scale, bias}, h);
  a->attrs()["alpha"] = Attribute::of_float(0.5f);
  a->attrs()["count"] = Attribute::of_int(3);
  a->attrs()["mode"] = Attribute::of_string(std::string("mul\0x", 5));  // strings may hold any bytes
  a->attrs()["tags"] = Attribute::of_strings({"a", "", "long tag"});
  a->attrs()["sizes"] = Attribute::of_ints({1, -2, int64_t{1} << 40});
  a->attrs()["weights"] = Attribute::of_floats({0.25f, -1.5f});
  a->attrs()["offset"] = Attribute::of_tensor(plan_test_tensor(DataType::kFloat32, {1}, 6));
  a->attrs()["body"] = Attribute::of_graph(body);
  plan_test_node(*g, "b", {h, nullptr, bias2}, y);
  g->outputs() = {y, h};
  for (const auto* graph : {g.get(), body.get()})
    for (const auto& n : graph->nodes()) {
      n->set_schema(OpRegistry::global().find("PlanTestAxpy", "kiln.test"));
      Status s = n->schema()->check_and_fill_defaults(*n);
      (void)s;
    }
  return g;
}

}  // namespace kiln::testing
