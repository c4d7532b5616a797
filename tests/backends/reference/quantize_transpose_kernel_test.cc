// kiln.QuantizeTranspose's reference kernel: QuantizeLinear followed by Transpose, on random
// values with exact ties (round half to even) and values that saturate, for int8 and uint8 and
// several permutations; its schema takes per-tensor parameters only.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ir/ops/fused_ops.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::make_tensor;
using testing::NodeSpec;
using testing::run_node;

const std::vector<int64_t> kShape = {2, 3, 5, 7};
constexpr float kScale = 0.5f;  // a power of two: x = t * scale divides back to exactly t

NodeSpec spec(std::string op, std::map<std::string, Attribute> attrs, std::string domain = "") {
  return NodeSpec{std::move(op), std::move(attrs), 1, 13, std::move(domain)};
}

NodeSpec fused(const std::vector<int64_t>& perm) {
  return spec(std::string(kQuantizeTransposeOp), {{"perm", Attribute::of_ints(perm)}}, std::string(kKilnDomain));
}

// Random values in [-200, 200) of which every third is scale * t for t an exact tie (k + 0.5) or
// far out of range.
Tensor input() {
  Tensor x = testing::random_float(kShape, 11, -200.f, 200.f);
  const std::vector<float> special = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, 127.5f, -127.5f, -128.5f,
                                      254.5f, 255.5f, 1000.f, -1000.f, 4.5f, -3.5f};
  for (int64_t i = 0; i < x.numel(); i += 3)
    x.data<float>()[i] = special[static_cast<size_t>(i / 3) % special.size()] * kScale;
  return x;
}

Tensor run1(const NodeSpec& ns, const std::vector<Tensor>& inputs) {
  auto out = run_node(ns, inputs);
  EXPECT_TRUE(out.ok()) << ns.op_type << ": " << out.status().to_string();
  return out.ok() ? (*out)[0] : Tensor();
}

// The parameters of one quantized type, zero point included.
std::vector<Tensor> params(DataType q) {
  const Tensor scale = make_tensor<float>(DataType::kFloat32, {}, {kScale});
  if (q == DataType::kInt8) return {scale, make_tensor<int8_t>(DataType::kInt8, {}, {-3})};
  return {scale, make_tensor<uint8_t>(DataType::kUInt8, {}, {100})};
}

TEST(QuantizeTransposeKernel, EqualsQuantizeLinearThenTranspose) {
  const Tensor x = input();
  for (DataType q : {DataType::kInt8, DataType::kUInt8})
    for (const std::vector<int64_t>& perm : {std::vector<int64_t>{0, 2, 3, 1}, {0, 3, 1, 2}, {3, 1, 0, 2}}) {
      SCOPED_TRACE(std::string(data_type_name(q)) + " perm " + dims_to_string(perm));
      const std::vector<Tensor> p = params(q);
      const Tensor quantized = run1(spec("QuantizeLinear", {}), {x, p[0], p[1]});
      const Tensor want = run1(spec("Transpose", {{"perm", Attribute::of_ints(perm)}}), {quantized});
      const Tensor got = run1(fused(perm), {x, p[0], p[1]});
      ASSERT_EQ(got.dtype(), q);
      ASSERT_EQ(got.dims(), want.dims());
      EXPECT_EQ(std::memcmp(got.raw(), want.raw(), want.nbytes()), 0);
    }
}

// Element by element from the definition, for the NCHW -> NHWC reformat: ties go to the even
// integer and out-of-range values saturate.
TEST(QuantizeTransposeKernel, RoundsTiesToEvenAndSaturatesChannelsLast) {
  const Tensor x = input();
  const std::vector<Tensor> p = params(DataType::kInt8);
  const Tensor got = run1(fused({0, 2, 3, 1}), {x, p[0], p[1]});
  ASSERT_EQ(got.dims(), (std::vector<int64_t>{2, 5, 7, 3}));
  const int64_t C = 3, H = 5, W = 7;
  int ties = 0, saturated = 0;
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w) {
          const float v = x.data<float>()[((n * C + c) * H + h) * W + w] / kScale;
          const float below = std::floor(v), fraction = v - below;
          const bool odd = std::fmod(below, 2.f) != 0;
          const float rounded = fraction < 0.5f ? below : fraction > 0.5f || odd ? below + 1 : below;
          const float shifted = rounded - 3.f;  // the zero point
          const int want = static_cast<int>(std::clamp(shifted, -128.f, 127.f));
          ties += fraction == 0.5f;
          saturated += shifted < -128.f || shifted > 127.f;
          ASSERT_EQ(got.data<int8_t>()[((n * H + h) * W + w) * C + c], want) << "x = " << v * kScale;
        }
  EXPECT_GT(ties, 20);
  EXPECT_GT(saturated, 5);
}

TEST(QuantizeTransposeKernel, WithoutZeroPointIsUint8) {
  const Tensor x = input();
  const Tensor scale = make_tensor<float>(DataType::kFloat32, {}, {kScale});
  const Tensor got = run1(fused({0, 2, 3, 1}), {x, scale});
  EXPECT_EQ(got.dtype(), DataType::kUInt8);
  const Tensor want = run1(spec("Transpose", {{"perm", Attribute::of_ints({0, 2, 3, 1})}}),
                           {run1(spec("QuantizeLinear", {}), {x, scale})});
  ASSERT_EQ(got.nbytes(), want.nbytes());
  EXPECT_EQ(std::memcmp(got.raw(), want.raw(), want.nbytes()), 0);
}

TEST(QuantizeTransposeSchema, RefusesAPerAxisScale) {
  const Tensor scale = make_tensor<float>(DataType::kFloat32, {3}, {0.5f, 1.f, 2.f});
  auto out = run_node(fused({0, 2, 3, 1}), {input(), scale});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("the scale must be one value"), std::string::npos) << out.status().to_string();
}

TEST(QuantizeTransposeSchema, RefusesAPermutationOfAnotherRank) {
  auto out = run_node(fused({0, 2, 1}), {input(), make_tensor<float>(DataType::kFloat32, {}, {kScale})});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("perm"), std::string::npos) << out.status().to_string();
}

}  // namespace
}  // namespace kiln
