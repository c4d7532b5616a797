// Helpers shared by the elementwise kernel tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/half.h"
#include "testing/node_runner.h"

namespace kiln::testing {

// A node spec without spelling out NodeSpec's every field.
inline NodeSpec node(std::string op, std::map<std::string, Attribute> attrs = {}, int opset = 17) {
  NodeSpec spec;
  spec.op_type = std::move(op);
  spec.attrs = std::move(attrs);
  spec.opset = opset;
  return spec;
}

// Runs a one-output node and returns that output; fails the test when the run fails.
inline Tensor run_one(const NodeSpec& spec, const std::vector<Tensor>& inputs) {
  auto out = run_node(spec, inputs);
  EXPECT_TRUE(out.ok()) << spec.op_type << ": " << out.status().to_string();
  if (!out.ok()) return Tensor();
  return (*out)[0];
}

// The run's error; fails the test when the run succeeds.
inline Status run_error(const NodeSpec& spec, const std::vector<Tensor>& inputs) {
  auto out = run_node(spec, inputs);
  EXPECT_FALSE(out.ok()) << spec.op_type << " should have failed";
  return out.ok() ? Status::Ok() : out.status();
}

inline bool message_has(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

template <class T>
std::vector<T> values_of(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

// Checks a float32 output against expected(x) element by element.
inline void expect_close(const Tensor& out, const std::vector<double>& expected, double rtol = 1e-5,
                         double atol = 1e-6) {
  ASSERT_EQ(out.dtype(), DataType::kFloat32);
  ASSERT_EQ(out.numel(), static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(out.data<float>()[i], expected[i], atol + rtol * std::abs(expected[i])) << "element " << i;
}

// expected[i] = f(x[i]) for a float32 input.
inline std::vector<double> map_values(const Tensor& x, const std::function<double(double)>& f) {
  std::vector<double> out;
  for (int64_t i = 0; i < x.numel(); ++i) out.push_back(f(x.data<float>()[i]));
  return out;
}

}  // namespace kiln::testing
