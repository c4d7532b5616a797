// FP8 (float8e4m3) kiln.QMatMul and channels-last 1x1 kiln.QConv through every tactic of every
// supporting provider (cuBLASLt's FP8 kernels) against the reference kernels, which sum the
// exact E4M3 products exactly and round once (expect_every_fp8_tactic_matches says why the
// tolerance holds); sizes the FP8 kernels do not take are refused with the reason.
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

constexpr std::string_view kProvider = "cublaslt_fp8_matmul";

// A QMatMul of random E4M3 A [a_dims] by B [K, n].
testing::QuantizedLayer qmatmul(const std::vector<int64_t>& a_dims, int64_t n, const QuantizedCase& q) {
  testing::QuantizedLayer layer;
  std::vector<int64_t> y_dims(a_dims.begin(), a_dims.end() - 1);
  y_dims.push_back(n);
  const std::vector<Tensor> tail = testing::quantized_layer_inputs(q, y_dims, 3);
  layer.inputs = {testing::random_e4m3(a_dims, 1), testing::random_e4m3({a_dims.back(), n}, 2)};
  layer.inputs.insert(layer.inputs.end(), tail.begin(), tail.end());
  std::map<std::string, Attribute> attrs;
  testing::add_epilogue_attrs(q, attrs);
  testing::NodeSpec ns{"QMatMul", attrs, 1, 1, std::string(kKilnDomain)};
  auto expected = testing::run_node(ns, layer.inputs);
  EXPECT_TRUE(expected.ok()) << expected.status().to_string();
  if (expected.ok()) layer.expected = (*expected)[0];
  layer.node = testing::node_in_graph("QMatMul", std::string(kKilnDomain), 1, attrs, layer.inputs);
  layer.spec = testing::make_spec(*layer.node->node, layer.inputs, {y_dims}, {q.output}, {1, 2, 3, 4, 6, 7});
  return layer;
}

// A channels-last QConv over X [n, h, w, c] with W [k, r, r, c] (stride 1, pad (r-1)/2).
testing::QuantizedLayer qconv(int64_t n, int64_t h, int64_t w, int64_t c, int64_t k, int64_t r, const QuantizedCase& q) {
  return testing::fp8_qconv({n, h, w, c, k, r, 1, (r - 1) / 2}, q);
}

TEST(Fp8MatMulGpuTest, BatchedBiasReluFloat32Output) {
  QuantizedCase q = testing::fp8_case(48, DataType::kFloat32);
  q.activation = Activation{"Relu", 0.f, 0.f, false};
  const testing::QuantizedLayer layer = qmatmul({2, 5, 32}, 48, q);
  testing::expect_every_fp8_tactic_matches(layer.spec, layer.inputs, layer.expected, kProvider);
}

TEST(Fp8MatMulGpuTest, Float16ResidualAndOutputWithoutBias) {
  QuantizedCase q = testing::fp8_case(16, DataType::kFloat16);
  q.bias = false;
  q.residual = DataType::kFloat16;
  const testing::QuantizedLayer layer = qmatmul({37, 272}, 16, q);
  testing::expect_every_fp8_tactic_matches(layer.spec, layer.inputs, layer.expected, kProvider);
}

TEST(Fp8MatMulGpuTest, PointwiseConvWithFloatResidualAndRelu) {
  QuantizedCase q = testing::fp8_case(32, DataType::kFloat32);
  q.residual = DataType::kFloat32;
  q.activation = Activation{"Relu", 0.f, 0.f, false};
  const testing::QuantizedLayer layer = qconv(2, 5, 3, 64, 32, 1, q);
  testing::expect_every_fp8_tactic_matches(layer.spec, layer.inputs, layer.expected, kProvider);
}

TEST(Fp8MatMulGpuTest, RefusesSizesNotMultiplesOfSixteen) {
  const testing::QuantizedLayer layer = qmatmul({4, 24}, 16, testing::fp8_case(16, DataType::kFloat32));
  const Status s = testing::provider_named(kProvider).supports(layer.spec);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  EXPECT_NE(s.message().find("multiples of 16"), std::string::npos) << s.to_string();
}

TEST(Fp8MatMulGpuTest, RefusesAThreeByThreeConvolution) {
  const testing::QuantizedLayer layer = qconv(1, 6, 6, 16, 16, 3, testing::fp8_case(16, DataType::kFloat32));
  const Status s = testing::provider_named(kProvider).supports(layer.spec);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  EXPECT_NE(s.message().find("1x1"), std::string::npos) << s.to_string();
}

TEST(Fp8MatMulGpuTest, Int8ProvidersRefuseFp8Layers) {
  const testing::QuantizedLayer layer = qmatmul({4, 32}, 16, testing::fp8_case(16, DataType::kFloat32));
  for (std::string_view name : {"cublaslt_qmatmul", "kiln_direct_quantized"}) {
    const Status s = testing::provider_named(name).supports(layer.spec);
    EXPECT_FALSE(s.ok()) << name;
  }
}

}  // namespace
}  // namespace kiln
