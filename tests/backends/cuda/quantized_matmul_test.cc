// kiln.QMatMul through every tactic of every supporting provider (cuBLASLt's int8 kernels, Kiln's
// direct kernel) against expected values built independently: the float reference MatMul on the
// integer values (exact at these sizes), then the epilogue.
#include <map>
#include <string>
#include <vector>

#include "backends/cuda/layer_kernel.h"
#include "gpu_layer_runner.h"
#include "gtest/gtest.h"
#include "quantized_layer_testing.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::QuantizedCase;

struct QMatMulCase {
  std::string name;
  std::vector<int64_t> a_dims;  // [..., M, K]
  int64_t n = 1;
  QuantizedCase q;
  bool cublaslt_refuses = false;  // K or N not a multiple of 4
};

QMatMulCase make_case(std::string name, std::vector<int64_t> a_dims, int64_t n) {
  QMatMulCase c;
  c.name = std::move(name);
  c.a_dims = std::move(a_dims);
  c.n = n;
  for (int64_t i = 0; i < n; ++i) c.q.w_scale.push_back(0.003f + 0.0007f * static_cast<float>(i % 5));
  return c;
}

struct QMatMulLayer {
  std::unique_ptr<testing::OwnedNode> node;
  std::vector<Tensor> inputs;
  cuda::LayerSpec spec;
  Tensor expected;
};

QMatMulLayer make_layer(const QMatMulCase& c) {
  QMatMulLayer layer;
  const int64_t k = c.a_dims.back();
  const Tensor a = testing::random_int8(c.a_dims, 1);
  const Tensor b = testing::random_int8({k, c.n}, 2);
  testing::NodeSpec matmul;
  matmul.op_type = "MatMul";
  auto acc = testing::run_node(matmul, {testing::convert(a, DataType::kFloat32), testing::convert(b, DataType::kFloat32)});
  EXPECT_TRUE(acc.ok()) << acc.status().to_string();
  if (!acc.ok()) return layer;
  const std::vector<int64_t> y_dims = (*acc)[0].dims();
  const std::vector<Tensor> tail = testing::quantized_layer_inputs(c.q, y_dims, 3);
  layer.expected = testing::expected_quantized_output(c.q, (*acc)[0], static_cast<int>(y_dims.size()) - 1, tail);
  layer.inputs = {a, b};
  layer.inputs.insert(layer.inputs.end(), tail.begin(), tail.end());
  std::map<std::string, Attribute> attrs;
  testing::add_epilogue_attrs(c.q, attrs);
  layer.node = testing::node_in_graph("QMatMul", std::string(kKilnDomain), 1, attrs, layer.inputs);
  layer.spec = testing::make_spec(*layer.node->node, layer.inputs, {y_dims}, {c.q.output}, {1, 2, 3, 4, 6, 7});
  return layer;
}

class QMatMulTest : public ::testing::TestWithParam<QMatMulCase> {};

TEST_P(QMatMulTest, EveryTacticMatchesExpected) {
  const QMatMulCase& c = GetParam();
  const QMatMulLayer layer = make_layer(c);
  testing::expect_every_quantized_tactic_matches(layer.spec, layer.inputs, layer.expected, "cublaslt_qmatmul", c.cublaslt_refuses);
}

Activation act(std::string op, float alpha = 0.f, bool gated = false) { return Activation{std::move(op), alpha, 0.f, gated}; }

std::vector<QMatMulCase> cases() {
  std::vector<QMatMulCase> v;
  {
    QMatMulCase c = make_case("batched_bias_relu_int8", {2, 5, 32}, 24);
    c.q.activation = act("Relu");
    v.push_back(c);
  }
  {
    QMatMulCase c = make_case("int8_residual_int8", {7, 64}, 16);
    c.q.bias = false;
    c.q.residual = DataType::kInt8;
    v.push_back(c);
  }
  {
    QMatMulCase c = make_case("int8_residual_bias_relu_int8", {9, 16}, 8);
    c.q.residual = DataType::kInt8;
    c.q.activation = act("Relu");
    v.push_back(c);
  }
  {
    QMatMulCase c = make_case("fp32_residual_silu_fp32_out", {3, 16}, 12);
    c.q.residual = DataType::kFloat32;
    c.q.activation = act("Sigmoid", 0.f, true);
    c.q.output = DataType::kFloat32;
    v.push_back(c);
  }
  {
    QMatMulCase c = make_case("leakyrelu_bf16_out", {6, 40}, 20);
    c.q.activation = act("LeakyRelu", 0.2f);
    c.q.output = DataType::kBFloat16;
    v.push_back(c);
  }
  {
    QMatMulCase c = make_case("single_row_bias_int8", {1, 48}, 32);
    v.push_back(c);
  }
  {
    QMatMulCase c = make_case("odd_k10_n6_fp16_out", {9, 10}, 6);
    c.q.output = DataType::kFloat16;
    c.cublaslt_refuses = true;
    v.push_back(c);
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Cases, QMatMulTest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<QMatMulCase>& info) { return info.param.name; });

TEST(QMatMulTest, RefusesWithReasons) {
  const QMatMulLayer layer = make_layer(make_case("refused", {4, 8}, 8));
  {
    // B that is not a constant.
    cuda::LayerSpec spec = layer.spec;
    spec.inputs[1]->host_constant = nullptr;
    const Status s = testing::provider_named("cublaslt_qmatmul").supports(spec);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("constant"), std::string::npos) << s.to_string();
  }
  {
    // A float A: the layer takes int8.
    cuda::LayerSpec spec = layer.spec;
    spec.inputs[0]->dtype = DataType::kFloat32;
    const Status s = testing::provider_named("kiln_direct_quantized").supports(spec);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("int8"), std::string::npos) << s.to_string();
  }
  {
    // An output scale with a float output.
    cuda::LayerSpec spec = layer.spec;
    spec.outputs[0].dtype = DataType::kFloat32;
    const Status s = testing::provider_named("cublaslt_qmatmul").supports(spec);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("output scale"), std::string::npos) << s.to_string();
  }
}

TEST(QMatMulTest, CapturesIntoCudaGraph) {
  KILN_REQUIRE_GPU();
  QMatMulCase c = make_case("capture", {12, 32}, 16);
  c.q.residual = DataType::kInt8;
  c.q.activation = act("Relu");
  const QMatMulLayer layer = make_layer(c);
  for (std::string_view name : {"cublaslt_qmatmul", "kiln_direct_quantized"}) {
    const cuda::TacticProvider& provider = testing::provider_named(name);
    auto tactics = provider.tactics(layer.spec, testing::test_device());
    ASSERT_TRUE(tactics.ok()) << tactics.status().to_string();
    ASSERT_FALSE(tactics->empty());
    // The first and the last tactic: with this layer, the fused form and the int32 one.
    testing::expect_capture_matches_enqueue(provider, tactics->front(), layer.spec, layer.inputs);
    testing::expect_capture_matches_enqueue(provider, tactics->back(), layer.spec, layer.inputs);
  }
}

}  // namespace
}  // namespace kiln
