// kiln.QConv (channels-last) through every tactic of every supporting provider (cuDNN's int8
// graphs, Kiln's direct kernel) against expected values built independently: the float
// reference Conv on the integer values (exact at these sizes), then the epilogue.
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

struct QConvCase {
  std::string name;
  int64_t n = 1, c = 1, h = 1, w = 1, k = 1, r = 1, s = 1;
  int64_t stride = 1, pad = 0, group = 1;
  QuantizedCase q;
  bool cudnn_refuses = false;  // channel counts per group not multiples of 4
};

std::vector<float> weight_scales(int64_t k) {
  std::vector<float> s;
  for (int64_t i = 0; i < k; ++i) s.push_back(0.004f + 0.0005f * static_cast<float>(i % 7));
  return s;
}

QConvCase make_case(std::string name, int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t r, int64_t s) {
  QConvCase cc;
  cc.name = std::move(name);
  cc.n = n;
  cc.c = c;
  cc.h = h;
  cc.w = w;
  cc.k = k;
  cc.r = r;
  cc.s = s;
  cc.q.w_scale = weight_scales(k);
  return cc;
}

std::map<std::string, Attribute> conv_attrs(const QConvCase& c) {
  return {{"strides", Attribute::of_ints({c.stride, c.stride})},
          {"pads", Attribute::of_ints({c.pad, c.pad, c.pad, c.pad})},
          {"dilations", Attribute::of_ints({1, 1})},
          {"group", Attribute::of_int(c.group)}};
}

// The layer: node, GPU inputs (X, W, Z channels-last) and spec, plus the expected output (NHWC).
struct QConvLayer {
  std::unique_ptr<testing::OwnedNode> node;
  std::vector<Tensor> gpu_inputs;
  cuda::LayerSpec spec;
  Tensor expected;
};

QConvLayer make_layer(const QConvCase& c) {
  QConvLayer layer;
  const Tensor x = testing::random_int8({c.n, c.c, c.h, c.w}, 1);
  const Tensor w = testing::random_int8({c.k, c.c / c.group, c.r, c.s}, 2);
  testing::NodeSpec conv;
  conv.op_type = "Conv";
  conv.attrs = conv_attrs(c);
  auto acc = testing::run_node(conv, {testing::convert(x, DataType::kFloat32), testing::convert(w, DataType::kFloat32)});
  EXPECT_TRUE(acc.ok()) << acc.status().to_string();
  if (!acc.ok()) return layer;
  const std::vector<int64_t> y_dims = (*acc)[0].dims();
  const std::vector<Tensor> tail = testing::quantized_layer_inputs(c.q, y_dims, 3);
  layer.expected = testing::to_channels_last(testing::expected_quantized_output(c.q, (*acc)[0], 1, tail));

  layer.gpu_inputs = {testing::to_channels_last(x), testing::to_channels_last(w)};
  for (size_t i = 0; i < tail.size(); ++i)
    layer.gpu_inputs.push_back(i == 3 && tail[i].defined() ? testing::to_channels_last(tail[i]) : tail[i]);
  std::map<std::string, Attribute> attrs = conv_attrs(c);
  testing::add_epilogue_attrs(c.q, attrs);
  layer.node = testing::node_in_graph("QConv", std::string(kKilnDomain), 1, attrs, layer.gpu_inputs);
  const std::vector<int64_t> y_nhwc = {y_dims[0], y_dims[2], y_dims[3], y_dims[1]};
  layer.spec = testing::make_spec(*layer.node->node, layer.gpu_inputs, {y_nhwc}, {c.q.output}, {1, 2, 3, 4, 6, 7});
  layer.spec.channels_last = true;
  layer.spec.input_nhwc = {true, true, false, false, false, true, false, false};
  return layer;
}

class QConvTest : public ::testing::TestWithParam<QConvCase> {};

TEST_P(QConvTest, EveryTacticMatchesExpected) {
  const QConvCase& c = GetParam();
  const QConvLayer layer = make_layer(c);
  testing::expect_every_quantized_tactic_matches(layer.spec, layer.gpu_inputs, layer.expected, "cudnn_conv", c.cudnn_refuses);
}

Activation act(std::string op, float alpha = 0.f, bool gated = false) { return Activation{std::move(op), alpha, 0.f, gated}; }

std::vector<QConvCase> cases() {
  std::vector<QConvCase> v;
  {
    QConvCase c = make_case("conv3x3_pad1_bias_relu_int8", 2, 8, 9, 9, 16, 3, 3);
    c.pad = 1;
    c.q.activation = act("Relu");
    v.push_back(c);
  }
  {
    QConvCase c = make_case("strided_s2_float_out", 1, 16, 11, 10, 8, 3, 3);
    c.stride = 2;
    c.pad = 1;
    c.q.bias = false;
    c.q.output = DataType::kFloat32;
    v.push_back(c);
  }
  {
    QConvCase c = make_case("int8_residual_relu_int8", 2, 16, 7, 7, 16, 3, 3);
    c.pad = 1;
    c.q.residual = DataType::kInt8;
    c.q.activation = act("Relu");
    v.push_back(c);
  }
  {
    QConvCase c = make_case("fp16_residual_silu_fp16_out", 1, 8, 8, 8, 12, 3, 3);
    c.pad = 1;
    c.q.residual = DataType::kFloat16;
    c.q.activation = act("Sigmoid", 0.f, true);
    c.q.output = DataType::kFloat16;
    v.push_back(c);
  }
  {
    QConvCase c = make_case("grouped_g2_leakyrelu_int8", 2, 16, 8, 8, 16, 3, 3);
    c.pad = 1;
    c.group = 2;
    c.q.activation = act("LeakyRelu", 0.1f);
    v.push_back(c);
  }
  {
    QConvCase c = make_case("pointwise_1x1_fp32_residual_fp32_out", 3, 32, 5, 5, 24, 1, 1);
    c.q.residual = DataType::kFloat32;
    c.q.output = DataType::kFloat32;
    v.push_back(c);
  }
  {
    // cuBLASLt's fused int8 form: int8 residual, ReLU and int8 output in one matmul.
    QConvCase c = make_case("pointwise_1x1_int8_residual_relu_int8", 2, 32, 7, 7, 64, 1, 1);
    c.q.residual = DataType::kInt8;
    c.q.activation = act("Relu");
    v.push_back(c);
  }
  {
    QConvCase c = make_case("depthwise_bf16_out", 1, 8, 9, 9, 8, 3, 3);
    c.pad = 1;
    c.group = 8;
    c.q.output = DataType::kBFloat16;
    c.cudnn_refuses = true;
    v.push_back(c);
  }
  {
    QConvCase c = make_case("odd_channels_stem_7x7_s2", 1, 3, 20, 20, 13, 7, 7);
    c.stride = 2;
    c.pad = 3;
    c.q.activation = act("Relu");
    c.cudnn_refuses = true;
    v.push_back(c);
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Cases, QConvTest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<QConvCase>& info) { return info.param.name; });

TEST(QConvTest, RefusesWithReasons) {
  QConvCase c = make_case("refused", 1, 8, 6, 6, 8, 3, 3);
  {
    // NCHW: the lowering always makes QConv channels-last.
    QConvLayer layer = make_layer(c);
    layer.spec.channels_last = false;
    layer.spec.input_nhwc.clear();
    for (std::string_view name : {"cudnn_conv", "kiln_direct_quantized"}) {
      const Status s = testing::provider_named(name).supports(layer.spec);
      EXPECT_FALSE(s.ok()) << name;
      EXPECT_NE(s.message().find("channels-last"), std::string::npos) << s.to_string();
    }
  }
  {
    // A scale that is not a constant.
    QConvLayer layer = make_layer(c);
    layer.spec.inputs[2]->host_constant = nullptr;
    const Status s = testing::provider_named("kiln_direct_quantized").supports(layer.spec);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("constant"), std::string::npos) << s.to_string();
  }
  {
    // A bias that is not float32.
    QConvLayer layer = make_layer(c);
    layer.spec.inputs[4]->dtype = DataType::kFloat16;
    const Status s = testing::provider_named("cudnn_conv").supports(layer.spec);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("bias"), std::string::npos) << s.to_string();
  }
}

// cuBLASLt runs a 1x1 stride-1 QConv as a GEMM, and refuses every other convolution by name.
TEST(QConvTest, CublasLtTakesPointwiseConvolutionsOnly) {
  const cuda::TacticProvider& cublaslt = testing::provider_named("cublaslt_qmatmul");
  QConvLayer pointwise = make_layer(make_case("pointwise", 1, 16, 6, 6, 8, 1, 1));
  EXPECT_TRUE(cublaslt.supports(pointwise.spec).ok()) << cublaslt.supports(pointwise.spec).to_string();
  QConvCase strided_case = make_case("strided", 1, 16, 6, 6, 8, 1, 1);
  strided_case.stride = 2;
  QConvLayer strided = make_layer(strided_case);
  const Status s = cublaslt.supports(strided.spec);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  EXPECT_NE(s.message().find("stride 1"), std::string::npos) << s.to_string();
  QConvLayer spatial = make_layer(make_case("spatial", 1, 16, 6, 6, 8, 3, 3));
  const Status t = cublaslt.supports(spatial.spec);
  EXPECT_EQ(t.code(), StatusCode::kUnsupported) << t.to_string();
  EXPECT_NE(t.message().find("1x1"), std::string::npos) << t.to_string();
}

TEST(QConvTest, CapturesIntoCudaGraph) {
  KILN_REQUIRE_GPU();
  QConvCase c = make_case("capture", 2, 8, 9, 9, 16, 3, 3);
  c.pad = 1;
  c.q.residual = DataType::kInt8;
  c.q.activation = act("Relu");
  const QConvLayer layer = make_layer(c);
  for (std::string_view name : {"cudnn_conv", "kiln_direct_quantized"}) {
    const cuda::TacticProvider& provider = testing::provider_named(name);
    auto tactics = provider.tactics(layer.spec, testing::test_device());
    ASSERT_TRUE(tactics.ok()) << tactics.status().to_string();
    ASSERT_FALSE(tactics->empty());
    testing::expect_capture_matches_enqueue(provider, tactics->front(), layer.spec, layer.gpu_inputs);
  }
}

}  // namespace
}  // namespace kiln
