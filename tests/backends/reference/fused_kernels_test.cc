// kiln.QConv and kiln.QMatMul against an independent computation in float: dequantize X and W,
// run the float Conv/MatMul, add bias and residual, activate, quantize.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/float8.h"
#include "core/half.h"
#include "ir/ops/fused_ops.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::NodeSpec;
using testing::random_float;
using testing::run_node;

Tensor random_int8(std::vector<int64_t> dims, uint32_t seed, int lo = -128, int hi = 127) {
  Tensor t(DataType::kInt8, std::move(dims));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> u(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int8_t>()[i] = static_cast<int8_t>(u(rng));
  return t;
}

// Random E4M3 codes over the whole finite range (NaN's two codes excluded).
Tensor random_e4m3(std::vector<int64_t> dims, uint32_t seed) {
  Tensor t(DataType::kFloat8E4M3, std::move(dims));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> u(0, 255);
  for (int64_t i = 0; i < t.numel(); ++i) {
    int code = u(rng);
    while ((code & 0x7F) == 0x7F) code = u(rng);
    t.data<uint8_t>()[i] = static_cast<uint8_t>(code);
  }
  return t;
}

NodeSpec spec(std::string op, std::map<std::string, Attribute> attrs = {}, std::string domain = "") {
  return NodeSpec{std::move(op), std::move(attrs), 1, 17, std::move(domain)};
}

Tensor scalar(float v) { return testing::make_tensor<float>(DataType::kFloat32, {}, {v}); }

Tensor run1(const NodeSpec& spec, const std::vector<Tensor>& inputs) {
  auto out = run_node(spec, inputs);
  EXPECT_TRUE(out.ok()) << spec.op_type << ": " << out.status().to_string();
  return out.ok() ? (*out)[0] : Tensor();
}

Tensor dequantize(const Tensor& q, const Tensor& scale, int64_t axis = 1) {
  return run1(spec("DequantizeLinear", {{"axis", Attribute::of_int(axis)}}), {q, scale});
}

// One quantized layer's inputs and options.
struct Case {
  bool conv = true;
  Tensor x, w, w_scale, bias, residual;
  float x_scale = 0.02f, z_scale = 0.05f;
  std::map<std::string, Attribute> attrs;  // geometry (conv)
  bool relu = true;
  bool quantized_output = true;
};

// The layer in float from dequantized operands; `y_scale` only quantizes the result at the end.
Tensor float_reference(const Case& c) {
  const Tensor x = dequantize(c.x, scalar(c.x_scale));
  const Tensor w = dequantize(c.w, c.w_scale, c.conv ? 0 : 1);
  Tensor y;
  if (c.conv) {
    y = run1(spec("Conv", c.attrs), {x, w, c.bias});
  } else {
    y = run1(spec("MatMul"), {x, w});
    if (c.bias.defined()) y = run1(spec("Add"), {y, c.bias});
  }
  if (c.residual.defined())
    y = run1(spec("Add"), {y, c.residual.dtype() == DataType::kInt8 ? dequantize(c.residual, scalar(c.z_scale)) : c.residual});
  return c.relu ? run1(spec("Relu"), {y}) : y;
}

Expected<std::vector<Tensor>> run_layer(const Case& c, float y_scale, int64_t output_dtype = 1) {
  auto attrs = c.attrs;
  attrs["activation"] = Attribute::of_string(c.relu ? "Relu" : "");
  attrs["output_dtype"] = Attribute::of_int(output_dtype);
  const bool int8_residual = c.residual.defined() && c.residual.dtype() == DataType::kInt8;
  std::vector<Tensor> inputs{c.x, c.w, scalar(c.x_scale), c.w_scale, c.bias, c.residual,
                             int8_residual ? scalar(c.z_scale) : Tensor(), c.quantized_output ? scalar(y_scale) : Tensor()};
  while (!inputs.back().defined()) inputs.pop_back();
  return run_node(spec(std::string(c.conv ? kQConvOp : kQMatMulOp), attrs, "kiln"), inputs);
}

float max_abs(const Tensor& t) {
  float m = 0;
  for (int64_t i = 0; i < t.numel(); ++i) m = std::max(m, std::abs(t.data<float>()[i]));
  return m;
}

// Float outputs agree to float rounding (the float reference sums dequantized products in
// another order; the layer scales an exact integer sum once). Quantized outputs agree exactly
// except where that rounding difference moves v / y_scale across a rounding boundary: by one
// step, at a handful of elements.
void expect_layer_matches(const Case& c) {
  const Tensor want = float_reference(c);
  ASSERT_TRUE(want.defined());
  const float range = max_abs(want);
  ASSERT_GT(range, 0.f);
  const float y_scale = range / 150.f;  // outputs above 85% of the range saturate
  auto got = run_layer(c, y_scale);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  const Tensor& y = (*got)[0];
  ASSERT_EQ(y.dims(), want.dims());
  if (!c.quantized_output) {
    ASSERT_EQ(y.dtype(), DataType::kFloat32);
    for (int64_t i = 0; i < y.numel(); ++i)
      ASSERT_NEAR(y.data<float>()[i], want.data<float>()[i], 1e-5 * range) << "element " << i;
    return;
  }
  ASSERT_EQ(y.dtype(), DataType::kInt8);
  const Tensor want_q = run1(spec("QuantizeLinear"), {want, scalar(y_scale), Tensor(DataType::kInt8, {})});
  int64_t off_by_one = 0, distinct_nonzero = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    const int d = std::abs(int{y.data<int8_t>()[i]} - int{want_q.data<int8_t>()[i]});
    ASSERT_LE(d, 1) << "element " << i;
    off_by_one += d;
    distinct_nonzero += want_q.data<int8_t>()[i] != 0;
  }
  EXPECT_LE(off_by_one, y.numel() / 100 + 1);
  EXPECT_GT(distinct_nonzero, y.numel() / 4);  // the comparison is not of zeros
}

Case grouped_conv(uint32_t seed) {
  Case c;
  c.x = random_int8({2, 6, 9, 8}, seed);
  c.w = random_int8({4, 3, 3, 2}, seed + 1, -127, 127);
  c.w_scale = random_float({4}, seed + 2, 0.001f, 0.01f);
  c.bias = random_float({4}, seed + 3);
  c.attrs = {{"strides", Attribute::of_ints({2, 1})},
             {"dilations", Attribute::of_ints({1, 2})},
             {"pads", Attribute::of_ints({1, 2, 0, 1})},
             {"group", Attribute::of_int(2)}};
  return c;
}

TEST(QConvKernel, GroupedStridedPaddedWithInt8ResidualAndOutput) {
  Case c = grouped_conv(10);
  c.residual = random_int8({2, 4, 4, 9}, 20);
  expect_layer_matches(c);
}

TEST(QConvKernel, FloatResidualFloatOutputNoActivation) {
  Case c = grouped_conv(30);
  c.residual = random_float({2, 4, 4, 9}, 40);
  c.relu = false;
  c.quantized_output = false;
  expect_layer_matches(c);
}

TEST(QConvKernel, DepthwiseWithoutBiasOrResidual) {
  Case c;
  c.x = random_int8({1, 5, 7, 7}, 50);
  c.w = random_int8({5, 1, 3, 3}, 51, -127, 127);
  c.w_scale = random_float({5}, 52, 0.001f, 0.01f);
  c.attrs = {{"pads", Attribute::of_ints({1, 1, 1, 1})}, {"group", Attribute::of_int(5)}};
  expect_layer_matches(c);
}

TEST(QMatMulKernel, BatchedWithBiasAndInt8Residual) {
  Case c;
  c.conv = false;
  c.x = random_int8({2, 5, 16}, 60);
  c.w = random_int8({16, 7}, 61, -127, 127);
  c.w_scale = random_float({7}, 62, 0.001f, 0.01f);
  c.bias = random_float({7}, 63);
  c.residual = random_int8({2, 5, 7}, 64);
  expect_layer_matches(c);
}

TEST(QMatMulKernel, FloatResidualFloatOutput) {
  Case c;
  c.conv = false;
  c.x = random_int8({6, 32}, 70);
  c.w = random_int8({32, 3}, 71, -127, 127);
  c.w_scale = random_float({3}, 72, 0.001f, 0.01f);
  c.residual = random_float({6, 3}, 73);
  c.quantized_output = false;
  expect_layer_matches(c);
}

TEST(QConvKernel, Float16OutputIsTheFloatResultRounded) {
  Case c = grouped_conv(80);
  c.quantized_output = false;
  const Tensor want = float_reference(c);
  auto got = run_layer(c, 0.f, 10);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  const Tensor& y = (*got)[0];
  ASSERT_EQ(y.dtype(), DataType::kFloat16);
  const float range = max_abs(want);
  for (int64_t i = 0; i < y.numel(); ++i)
    ASSERT_NEAR(static_cast<float>(y.data<Half>()[i]), want.data<float>()[i], 1e-3 * range) << "element " << i;
}

TEST(QConvSchema, RefusesAnInt8ResidualWithoutItsScale) {
  Case c = grouped_conv(90);
  const std::vector<Tensor> inputs{c.x, c.w, scalar(0.1f), c.w_scale, c.bias, random_int8({2, 4, 4, 9}, 91)};
  auto out = run_node(spec(std::string(kQConvOp), c.attrs, "kiln"), inputs);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().to_string().find("residual scale"), std::string::npos) << out.status().to_string();
}

TEST(QConvSchema, RefusesPerTensorWeightScaleOfWrongLength) {
  Case c = grouped_conv(95);
  auto out = run_node(spec(std::string(kQConvOp), c.attrs, "kiln"),
                      {c.x, c.w, scalar(0.1f), random_float({3}, 96, 0.01f, 0.02f)});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().to_string().find("one value per output channel"), std::string::npos)
      << out.status().to_string();
}

// FP8 layers: X and W float8e4m3, float output. Against the float reference (DequantizeLinear of
// the E4M3 operands, float Conv), which sums the same products in float.
TEST(QConvKernel, Fp8GroupedStridedPaddedWithFloatResidual) {
  Case c = grouped_conv(100);
  c.x = random_e4m3({2, 6, 9, 8}, 101);
  c.w = random_e4m3({4, 3, 3, 2}, 102);
  c.residual = random_float({2, 4, 4, 9}, 103);
  c.quantized_output = false;
  expect_layer_matches(c);
}

// The FP8 accumulators are the exact sums rounded once to float: computed here with a plain loop
// in double (exact for these sizes), then the kernel's float operations in its order, the result
// agrees to the bit.
TEST(QMatMulKernel, Fp8SumsAreExactThenRoundedOnce) {
  const int64_t m = 7, k = 48, n = 5;
  const Tensor a = random_e4m3({m, k}, 110), b = random_e4m3({k, n}, 111);
  const Tensor w_scale = random_float({n}, 112, 0.001f, 0.01f), bias = random_float({n}, 113);
  const float x_scale = 0.03f;
  auto got = run_node(spec(std::string(kQMatMulOp), {{"activation", Attribute::of_string("Relu")}}, "kiln"),
                      {a, b, scalar(x_scale), w_scale, bias});
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  const Tensor& y = (*got)[0];
  ASSERT_EQ(y.dtype(), DataType::kFloat32);
  int64_t positive = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < k; ++p)
        sum += double{e4m3_to_float(a.data<uint8_t>()[i * k + p])} * double{e4m3_to_float(b.data<uint8_t>()[p * n + j])};
      const float scale = x_scale * w_scale.data<float>()[j];
      const float want = std::max(static_cast<float>(sum) * scale + bias.data<float>()[j], 0.f);
      ASSERT_EQ(y.data<float>()[i * n + j], want) << "element " << i << ", " << j;
      positive += want > 0.f;
    }
  EXPECT_GT(positive, m * n / 4);  // the comparison is not of zeros
}

TEST(QConvSchema, RefusesInt8XWithFp8Weights) {
  Case c = grouped_conv(120);
  auto out = run_node(spec(std::string(kQConvOp), c.attrs, "kiln"),
                      {c.x, random_e4m3({4, 3, 3, 2}, 121), scalar(0.1f), c.w_scale});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().to_string().find("both int8 or both float8e4m3"), std::string::npos)
      << out.status().to_string();
}

TEST(QConvSchema, RefusesAnFp8LayerWithAnOutputScale) {
  Case c = grouped_conv(130);
  auto out = run_node(spec(std::string(kQConvOp), c.attrs, "kiln"),
                      {random_e4m3({2, 6, 9, 8}, 131), random_e4m3({4, 3, 3, 2}, 132), scalar(0.1f), c.w_scale,
                       Tensor(), Tensor(), Tensor(), scalar(0.5f)});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().to_string().find("float output"), std::string::npos) << out.status().to_string();
}

}  // namespace
}  // namespace kiln
