// QuantizeLinear / DequantizeLinear with FP8 E4M3 (the ONNX cases cover uint8 and int8).
#include <gtest/gtest.h>

#include <cmath>

#include "core/float8.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::NodeSpec;
using testing::random_float;
using testing::run_node;

NodeSpec spec(std::string op, std::map<std::string, Attribute> attrs = {}) {
  return NodeSpec{std::move(op), std::move(attrs), 1, 17, ""};
}

// The finite E4M3 value nearest to v (ties to the even code; beyond 448 the largest), by search
// over the codes' values from the format's definition.
int nearest_code(float v) {
  int best = 0;
  double best_err = INFINITY;
  for (int code = 0; code < 256; ++code) {
    const int e = (code >> 3) & 15, m = code & 7;
    if (e == 15 && m == 7) continue;
    const double mag = e == 0 ? m * std::pow(2.0, -9) : (8 + m) * std::pow(2.0, e - 10);
    const double value = code >= 128 ? -mag : mag;
    if (value == 0 && (code >= 128) != std::signbit(v)) continue;  // keep the sign of zero
    const double err = std::abs(value - v);
    if (err < best_err || (err == best_err && code % 2 == 0)) {
      best = code;
      best_err = err;
    }
  }
  return best;
}

TEST(QuantizeLinearFp8, RoundsToTheNearestCodeAndSaturates) {
  Tensor x = random_float({4, 64}, 7, -600.f, 600.f);
  x.data<float>()[0] = 0.001f;
  x.data<float>()[1] = -1e9f;
  const Tensor scale = testing::make_tensor<float>(DataType::kFloat32, {}, {0.75f});
  auto out = run_node(spec("QuantizeLinear"), {x, scale, Tensor(DataType::kFloat8E4M3, {})});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const Tensor& y = (*out)[0];
  ASSERT_EQ(y.dtype(), DataType::kFloat8E4M3);
  for (int64_t i = 0; i < x.numel(); ++i)
    ASSERT_EQ(y.data<uint8_t>()[i], nearest_code(x.data<float>()[i] / 0.75f)) << "element " << i;
}

TEST(DequantizeLinearFp8, ScalesEachCodesValuePerChannel) {
  Tensor x(DataType::kFloat8E4M3, {2, 254});
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int code = static_cast<int>(i % 254);
    x.data<uint8_t>()[i] = static_cast<uint8_t>(code < 127 ? code : code + 1);  // every code but the NaNs
  }
  const Tensor scale = testing::make_tensor<float>(DataType::kFloat32, {2}, {0.5f, 3.f});
  auto out = run_node(spec("DequantizeLinear", {{"axis", Attribute::of_int(0)}}), {x, scale});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const Tensor& y = (*out)[0];
  for (int64_t i = 0; i < x.numel(); ++i)
    ASSERT_EQ(y.data<float>()[i], e4m3_to_float(x.data<uint8_t>()[i]) * (i < 254 ? 0.5f : 3.f)) << "element " << i;
}

TEST(QuantizeLinearFp8, RefusesANonzeroZeroPoint) {
  Tensor zp(DataType::kFloat8E4M3, {});
  zp.data<uint8_t>()[0] = 0x38;  // 1.0
  auto out = run_node(spec("QuantizeLinear"),
                      {random_float({4}, 1), testing::make_tensor<float>(DataType::kFloat32, {}, {1.f}), zp});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().to_string().find("zero point must be 0"), std::string::npos) << out.status().to_string();
}

}  // namespace
}  // namespace kiln
