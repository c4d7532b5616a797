#include <limits>

#include "backends/reference/elementwise_test_util.h"

namespace kiln::testing {
namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double softplus(double x) { return std::log(1.0 + std::exp(x)); }

TEST(ActivationKernels, MatchTheirFormulas) {
  struct Case {
    NodeSpec spec;
    std::function<double(double)> reference;
  };
  const std::vector<Case> cases = {
      {node("Relu"), [](double x) { return x > 0 ? x : 0; }},
      {node("Sigmoid"), sigmoid},
      {node("Softplus"), softplus},
      {node("Softsign"), [](double x) { return x / (1 + std::abs(x)); }},
      {node("HardSwish"), [](double x) { return x * std::max(0.0, std::min(1.0, x / 6 + 0.5)); }},
      {node("Mish"), [](double x) { return x * std::tanh(softplus(x)); }},
      {node("Elu", {{"alpha", Attribute::of_float(0.7f)}}),
       [](double x) { return x < 0 ? 0.7f * (std::exp(x) - 1) : x; }},
      {node("Celu", {{"alpha", Attribute::of_float(1.3f)}}),
       [](double x) { return std::max(0.0, x) + std::min(0.0, 1.3f * (std::exp(x / 1.3f) - 1)); }},
      {node("Selu"),
       [](double x) {
         const double alpha = 1.67326319217681884765625, gamma = 1.05070102214813232421875;
         return x > 0 ? gamma * x : gamma * alpha * (std::exp(x) - 1);
       }},
      {node("LeakyRelu"), [](double x) { return x < 0 ? 0.01f * x : x; }},
      {node("LeakyRelu", {{"alpha", Attribute::of_float(0.2f)}}), [](double x) { return x < 0 ? 0.2f * x : x; }},
      {node("ThresholdedRelu", {{"alpha", Attribute::of_float(0.4f)}}), [](double x) { return x > 0.4f ? x : 0; }},
      {node("HardSigmoid", {{"alpha", Attribute::of_float(0.3f)}, {"beta", Attribute::of_float(0.6f)}}),
       [](double x) { return std::max(0.0, std::min(1.0, 0.3f * x + 0.6f)); }},
      {node("Gelu"), [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
      {node("Gelu", {{"approximate", Attribute::of_string("tanh")}}),
       [](double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); }},
      {node("Shrink", {{"bias", Attribute::of_float(0.25f)}, {"lambd", Attribute::of_float(0.8f)}}),
       [](double x) { return x < -0.8f ? x + 0.25f : x > 0.8f ? x - 0.25f : 0; }},
  };
  uint32_t seed = 10;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.spec.op_type);
    const Tensor x = random_float({4, 9}, seed++, -3.f, 3.f);
    expect_close(run_one(c.spec, {x}), map_values(x, c.reference));
  }
}

TEST(ActivationKernels, SigmoidAndSoftplusStayFiniteForLargeInputs) {
  const Tensor x = make_tensor<float>(DataType::kFloat32, {2}, {-200.f, 200.f});
  expect_close(run_one(node("Sigmoid"), {x}), {0.0, 1.0});
  expect_close(run_one(node("Softplus"), {x}), {0.0, 200.0});
}

TEST(ActivationKernels, IntegerReluAndShrink) {
  const Tensor x = make_tensor<int32_t>(DataType::kInt32, {4}, {-5, -1, 2, 7});
  EXPECT_EQ(values_of<int32_t>(run_one(node("Relu"), {x})), (std::vector<int32_t>{0, 0, 2, 7}));
  const NodeSpec shrink = node("Shrink", {{"bias", Attribute::of_float(1.5f)}, {"lambd", Attribute::of_float(1.5f)}});
  EXPECT_EQ(values_of<int32_t>(run_one(shrink, {x})), (std::vector<int32_t>{-3, 0, 0, 5}));
}

TEST(ActivationKernels, ClipTakesAttributesBeforeOpset11) {
  const Tensor x = random_float({3, 5}, 3, -2.f, 2.f);
  const NodeSpec spec = node("Clip", {{"min", Attribute::of_float(-0.5f)}, {"max", Attribute::of_float(0.75f)}}, 6);
  expect_close(run_one(spec, {x}), map_values(x, [](double v) { return std::clamp(v, -0.5, 0.75); }));
  const NodeSpec defaults = node("Clip", {}, 6);
  expect_close(run_one(defaults, {x}), map_values(x, [](double v) { return v; }));
  const Status s = run_error(spec, {x, make_tensor<float>(DataType::kFloat32, {}, {0.f})});
  EXPECT_TRUE(message_has(s, "before opset 11")) << s.message();
}

TEST(ActivationKernels, ClipTakesOptionalScalarInputsSinceOpset11) {
  const Tensor x = random_float({3, 5}, 4, -2.f, 2.f);
  const Tensor lo = make_tensor<float>(DataType::kFloat32, {}, {-0.25f});
  const Tensor hi = make_tensor<float>(DataType::kFloat32, {}, {1.f});
  expect_close(run_one(node("Clip"), {x, lo, hi}), map_values(x, [](double v) { return std::clamp(v, -0.25, 1.0); }));
  expect_close(run_one(node("Clip"), {x, Tensor(), hi}), map_values(x, [](double v) { return std::min(v, 1.0); }));
  expect_close(run_one(node("Clip"), {x, lo}), map_values(x, [](double v) { return std::max(v, -0.25); }));
  // min above max: every element becomes max, as numpy.clip gives.
  expect_close(run_one(node("Clip"), {x, hi, lo}), std::vector<double>(15, -0.25));
  const Tensor ints = make_tensor<int8_t>(DataType::kInt8, {4}, {-128, -3, 4, 127});
  EXPECT_EQ(values_of<int8_t>(run_one(node("Clip"), {ints, make_tensor<int8_t>(DataType::kInt8, {}, {-3}),
                                                 make_tensor<int8_t>(DataType::kInt8, {}, {5})})),
            (std::vector<int8_t>{-3, -3, 4, 5}));
}

TEST(ActivationKernels, ClipRejectsNonScalarOrMistypedBounds) {
  const Tensor x = random_float({4}, 5);
  Status s = run_error(node("Clip"), {x, random_float({2}, 6)});
  EXPECT_TRUE(message_has(s, "('min') must be a scalar")) << s.message();
  s = run_error(node("Clip"), {x, make_tensor<double>(DataType::kFloat64, {}, {0.0})});
  EXPECT_TRUE(message_has(s, "same type")) << s.message();
}

TEST(ActivationKernels, PReluBroadcastsTheSlopeToX) {
  const Tensor x = random_float({3, 4, 5}, 7, -2.f, 2.f);
  const Tensor slope = random_float({5}, 8, 0.f, 1.f);
  std::vector<double> expected;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double v = x.data<float>()[i];
    expected.push_back(v < 0 ? v * slope.data<float>()[i % 5] : v);
  }
  const Tensor y = run_one(node("PRelu"), {x, slope});
  EXPECT_EQ(y.dims(), x.dims());
  expect_close(y, expected);
  const Status s = run_error(node("PRelu"), {random_float({5}, 9), random_float({3, 5}, 10)});
  EXPECT_TRUE(message_has(s, "does not broadcast to X")) << s.message();
}

TEST(ActivationKernels, BadAttributesAreRejected) {
  const Tensor x = random_float({2}, 11);
  const Status s = run_error(node("Gelu", {{"approximate", Attribute::of_string("erf")}}), {x});
  EXPECT_TRUE(message_has(s, "'approximate'")) << s.message();
  EXPECT_EQ(run_error(node("Elu", {{"beta", Attribute::of_float(1.f)}}), {x}).code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace kiln::testing
