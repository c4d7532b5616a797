// Small helpers for the tensor-family kernel tests: building int/float tensors, reading values
// back, and running shape inference alone with some input values unknown.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "testing/node_runner.h"

namespace kiln::testing {

inline Tensor i64(std::vector<int64_t> values, std::vector<int64_t> dims) {
  return make_tensor<int64_t>(DataType::kInt64, std::move(dims), values);
}
inline Tensor i64(const std::vector<int64_t>& values) { return i64(values, {static_cast<int64_t>(values.size())}); }
inline Tensor f32(std::vector<float> values, std::vector<int64_t> dims) {
  return make_tensor<float>(DataType::kFloat32, std::move(dims), values);
}

template <class T>
std::vector<T> values_of(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

// A NodeSpec with every field set (brace-initializing a partial NodeSpec trips
// -Wmissing-field-initializers).
inline NodeSpec node_spec(std::string op, std::map<std::string, Attribute> attrs = {}, int num_outputs = 1,
                          int opset = 17) {
  return NodeSpec{std::move(op), std::move(attrs), num_outputs, opset, ""};
}

// Runs one node and returns its outputs, failing the test on error.
inline std::vector<Tensor> run_ok(const NodeSpec& spec, const std::vector<Tensor>& inputs) {
  auto out = run_node(spec, inputs);
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  return out.ok() ? *out : std::vector<Tensor>(static_cast<size_t>(spec.num_outputs));
}

// The status code a failing run gives (kOk when it does not fail).
inline StatusCode run_code(const NodeSpec& spec, const std::vector<Tensor>& inputs) {
  auto out = run_node(spec, inputs);
  return out.ok() ? StatusCode::kOk : out.status().code();
}

// Shape inference only; `inputs` say per input its type and shape and, optionally, its value.
inline Expected<std::vector<std::pair<DataType, Shape>>> infer_only(const NodeSpec& spec,
                                                                    std::vector<InferContext::Input> inputs) {
  Graph g;
  Node* n = g.add_node(spec.op_type, spec.op_type, spec.domain, spec.opset);
  const OpSchema* schema = OpRegistry::global().find(spec.op_type, spec.domain);
  if (schema == nullptr) return unsupported("no schema for {}", spec.op_type);
  n->set_schema(schema);
  for (size_t i = 0; i < inputs.size(); ++i)
    n->inputs().push_back(inputs[i].present ? g.get_or_add_value("in" + std::to_string(i)) : nullptr);
  for (int i = 0; i < spec.num_outputs; ++i) n->outputs().push_back(g.get_or_add_value("out" + std::to_string(i)));
  n->attrs() = spec.attrs;
  KILN_RETURN_IF_ERROR(schema->check_and_fill_defaults(*n));
  return infer_node(*n, std::move(inputs));
}

inline InferContext::Input input_of(DataType t, Shape s, const Tensor* value = nullptr) {
  InferContext::Input in;
  in.present = true;
  in.dtype = t;
  in.shape = std::move(s);
  in.value = value;
  return in;
}

}  // namespace kiln::testing
