// The tests' plugin model: y = -ScaledInterleave(Relu(A), B), s = its row sums, with the test
// plugin library (library/scaled_interleave_plugin.cc), and the same computed independently.
#pragma once

#include <onnx/onnx_pb.h>

#include <random>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "testing/onnx_builder.h"

namespace kiln::testing {

inline constexpr const char* kTestPluginDomain = "kiln.test";

struct PluginModelOptions {
  float scale = 1.5f;
  std::string fail_message;       // the plugin's `fail_message` field, when set
  std::string op = "ScaledInterleave";
  bool int_scale = false;         // give `scale` as an int attribute (a type error)
  std::string extra_attr;         // an attribute the plugin does not declare
  const Tensor* constant_a = nullptr;  // A and B as initializers instead of graph inputs
  const Tensor* constant_b = nullptr;
};

// The default options, changed by `set`: options([](PluginModelOptions& o) { o.scale = 2; }).
template <class Set>
PluginModelOptions options(Set set) {
  PluginModelOptions o;
  set(o);
  return o;
}

// A and B are [N, 4] with N symbolic (or the given constants).
inline std::string plugin_model_bytes(const PluginModelOptions& o = {}) {
  OnnxBuilder b;
  for (auto [name, constant] : {std::pair{"A", o.constant_a}, std::pair{"B", o.constant_b}}) {
    if (constant == nullptr) {
      b.input(name, onnx::TensorProto::FLOAT, {1, 4}, {"N", ""});
    } else {
      const float* v = constant->data<float>();
      b.float_initializer(name, constant->dims(), std::vector<float>(v, v + constant->numel()));
    }
  }
  b.node("Relu", {"A"}, {"p"}, "relu");
  onnx::NodeProto& n = b.node(o.op, {"p", "B"}, {"y", "s"}, "interleave");
  n.set_domain(kTestPluginDomain);
  auto* scale = n.add_attribute();
  scale->set_name("scale");
  if (o.int_scale) {
    scale->set_type(onnx::AttributeProto::INT);
    scale->set_i(2);
  } else {
    scale->set_type(onnx::AttributeProto::FLOAT);
    scale->set_f(o.scale);
  }
  if (!o.fail_message.empty()) {
    auto* fail = n.add_attribute();
    fail->set_name("fail_message");
    fail->set_type(onnx::AttributeProto::STRING);
    fail->set_s(o.fail_message);
  }
  if (!o.extra_attr.empty()) OnnxBuilder::int_attr(n, o.extra_attr, 1);
  b.node("Neg", {"y"}, {"z"}, "neg");
  b.output("z");
  b.output("s");
  return b.bytes();
}

inline Tensor random_matrix(int64_t rows, int64_t cols, uint32_t seed) {
  Tensor t(DataType::kFloat32, {rows, cols});
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-2.f, 2.f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

// {z, s} for inputs A and B, written out element by element.
inline std::vector<Tensor> expected_plugin_model(const Tensor& a, const Tensor& b, float scale) {
  const int64_t n = a.dims()[0], k = a.dims()[1];
  Tensor z(DataType::kFloat32, {n, 2 * k}), s(DataType::kFloat32, {n});
  for (int64_t r = 0; r < n; ++r) {
    double sum = 0;
    for (int64_t c = 0; c < k; ++c) {
      const float x = scale * std::max(a.data<float>()[r * k + c], 0.f), y = scale * b.data<float>()[r * k + c];
      z.data<float>()[r * 2 * k + 2 * c] = -x;
      z.data<float>()[r * 2 * k + 2 * c + 1] = -y;
      sum += static_cast<double>(x) + y;
    }
    s.data<float>()[r] = static_cast<float>(sum);
  }
  return {z, s};
}

}  // namespace kiln::testing
