// Test helper for the optimization passes: build a small graph in the IR, optimize a copy, and
// check the rewrite (op counts, names, attributes) and that both graphs compute the same outputs.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "backends/reference/executor.h"
#include "ir/op_schema.h"
#include "ir/shape_inference.h"
#include "passes/pass_manager.h"
#include "testing/node_runner.h"

namespace kiln::testing {

class GraphBuilder {
 public:
  explicit GraphBuilder(int opset = 17) : opset_(opset) {}

  Value* input(const std::string& name, std::vector<int64_t> dims) {
    Value* v = *g_.add_value(name);
    v->set_type(DataType::kFloat32, Shape::from_dims(dims));
    g_.inputs().push_back(v);
    input_dims_.push_back(std::move(dims));
    return v;
  }
  Value* constant(const std::string& name, Tensor t) {
    Value* v = *g_.add_value(name);
    v->set_constant(std::move(t));
    return v;
  }
  // A random float constant in [lo, hi).
  Value* weights(const std::string& name, std::vector<int64_t> dims, float lo = -1.f, float hi = 1.f) {
    return constant(name, random_float(std::move(dims), seed_++, lo, hi));
  }
  Value* scalar(const std::string& name, float value) {
    return constant(name, make_tensor<float>(DataType::kFloat32, {}, {value}));
  }
  // A node with `num_outputs` outputs named "<name>.out<i>" (".out" for one); null inputs are
  // absent optional ones.
  std::vector<Value*> node_outputs(const std::string& op, const std::string& name, std::vector<Value*> inputs,
                                   std::map<std::string, Attribute> attrs = {}, int num_outputs = 1,
                                   const std::string& domain = "") {
    Node* n = g_.add_node(name, op, domain, opset_);
    n->inputs() = std::move(inputs);
    n->attrs() = std::move(attrs);
    for (int i = 0; i < num_outputs; ++i) {
      Value* out = *g_.add_value(name + (num_outputs == 1 ? ".out" : ".out" + std::to_string(i)));
      out->set_producer(n);
      n->outputs().push_back(out);
    }
    const OpSchema* schema = OpRegistry::global().find(op, domain);
    EXPECT_NE(schema, nullptr) << op;
    n->set_schema(schema);
    EXPECT_TRUE(schema->check_and_fill_defaults(*n).ok()) << name;
    return n->outputs();
  }
  Value* node(const std::string& op, const std::string& name, std::vector<Value*> inputs,
              std::map<std::string, Attribute> attrs = {}) {
    return node_outputs(op, name, std::move(inputs), std::move(attrs))[0];
  }
  void output(Value* v) { g_.outputs().push_back(v); }

  // The finished graph, sorted and with shapes inferred.
  Graph& graph() {
    EXPECT_TRUE(g_.topological_sort().ok());
    Status s = infer_graph_shapes(g_);
    EXPECT_TRUE(s.ok()) << s.to_string();
    return g_;
  }
  // Random inputs for the graph, in input order.
  std::vector<Tensor> random_inputs() {
    std::vector<Tensor> t;
    for (size_t i = 0; i < input_dims_.size(); ++i) t.push_back(random_float(input_dims_[i], 1000 + static_cast<uint32_t>(i)));
    return t;
  }

 private:
  Graph g_;
  int opset_;
  uint32_t seed_ = 1;
  std::vector<std::vector<int64_t>> input_dims_;
};

// max |got - want| / max |want| over all outputs.
inline double max_relative_error(const std::vector<Tensor>& got, const std::vector<Tensor>& want) {
  double diff = 0, scale = 0;
  for (size_t k = 0; k < want.size(); ++k) {
    EXPECT_EQ(got[k].dims(), want[k].dims());
    for (int64_t i = 0; i < want[k].numel(); ++i) {
      diff = std::max(diff, std::abs(static_cast<double>(got[k].data<float>()[i]) - want[k].data<float>()[i]));
      scale = std::max(scale, std::abs(static_cast<double>(want[k].data<float>()[i])));
    }
  }
  return diff / std::max(scale, 1e-30);
}

// max_relative_error of `got`'s outputs against `want`'s on the same inputs (reference kernels),
// or the error either run returned.
inline Expected<double> output_difference(const Graph& got, const Graph& want, const std::vector<Tensor>& inputs) {
  KILN_ASSIGN_OR_RETURN(auto want_out, run_reference(want, inputs));
  KILN_ASSIGN_OR_RETURN(auto got_out, run_reference(got, inputs));
  return max_relative_error(got_out, want_out);
}

struct Optimized {
  std::unique_ptr<Graph> graph;
  OptimizationReport report;
};

// Optimizes a copy of `b`'s graph at `level` (optionally only the passes not disabled), and
// expects it to compute the original's outputs within 1e-5 relative on random inputs.
inline Optimized optimize_and_compare(GraphBuilder& b, int level = 3, std::set<std::string> disabled = {}) {
  Graph& original = b.graph();
  Optimized o{original.clone(), {}};
  PassOptions options;
  options.level = level;
  options.disabled = std::move(disabled);
  auto report = optimize_graph(*o.graph, options);
  EXPECT_TRUE(report.ok()) << report.status().to_string();
  if (!report.ok()) return o;
  o.report = *report;
  const auto difference = output_difference(*o.graph, original, b.random_inputs());
  EXPECT_TRUE(difference.ok()) << difference.status().to_string();
  if (difference.ok()) {
    EXPECT_LE(*difference, 1e-5);
  }
  return o;
}

inline int count_ops(const Graph& g, const std::string& op) {
  return static_cast<int>(std::count_if(g.nodes().begin(), g.nodes().end(), [&](const auto& n) { return n->op_type() == op; }));
}

inline const Node* find_op(const Graph& g, const std::string& op) {
  for (const auto& n : g.nodes())
    if (n->op_type() == op) return n.get();
  return nullptr;
}

inline Attribute ints(std::vector<int64_t> v) { return Attribute::of_ints(std::move(v)); }

}  // namespace kiln::testing
