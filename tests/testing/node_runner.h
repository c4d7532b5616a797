// Test helper: run one op on given tensors through schema checks, shape inference and the
// reference kernel, without writing an ONNX file.
#pragma once

#include <map>
#include <random>
#include <string>
#include <vector>

#include "backends/reference/executor.h"
#include "ir/op_schema.h"

namespace kiln::testing {

struct NodeSpec {
  std::string op_type;
  std::map<std::string, Attribute> attrs{};
  int num_outputs = 1;
  int opset = 17;
  std::string domain{};  // "" is ONNX's default domain
};

// Inputs may hold undefined Tensors for absent optional inputs.
inline Expected<std::vector<Tensor>> run_node(const NodeSpec& spec, const std::vector<Tensor>& inputs) {
  Graph g;
  Node* n = g.add_node(spec.op_type, spec.op_type, spec.domain, spec.opset);
  const OpSchema* schema = OpRegistry::global().find(spec.op_type, spec.domain);
  if (schema == nullptr) return unsupported("no schema for {}", spec.op_type);
  n->set_schema(schema);
  std::vector<const Tensor*> ptrs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].defined()) {
      n->inputs().push_back(g.get_or_add_value("in" + std::to_string(i)));
      ptrs.push_back(&inputs[i]);
    } else {
      n->inputs().push_back(nullptr);
      ptrs.push_back(nullptr);
    }
  }
  for (int i = 0; i < spec.num_outputs; ++i) n->outputs().push_back(g.get_or_add_value("out" + std::to_string(i)));
  n->attrs() = spec.attrs;
  KILN_RETURN_IF_ERROR(schema->check_and_fill_defaults(*n));
  return run_reference_node(*n, ptrs);
}

template <class T>
Tensor make_tensor(DataType dt, std::vector<int64_t> dims, const std::vector<T>& values) {
  Tensor t(dt, std::move(dims));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<T>()[i] = values[static_cast<size_t>(i)];
  return t;
}

// Uniform random float32 tensor in [lo, hi).
inline Tensor random_float(std::vector<int64_t> dims, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  Tensor t(DataType::kFloat32, std::move(dims));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

}  // namespace kiln::testing
