#include <limits>

#include "backends/reference/elementwise_test_util.h"

namespace kiln::testing {
namespace {

struct FloatUnaryCase {
  const char* op;
  double (*reference)(double);
  float lo;  // input domain
  float hi;
};

TEST(UnaryKernels, FloatMathMatchesLibm) {
  const FloatUnaryCase cases[] = {
      {"Acos", [](double x) { return std::acos(x); }, -0.99f, 0.99f},
      {"Acosh", [](double x) { return std::acosh(x); }, 1.f, 4.f},
      {"Asin", [](double x) { return std::asin(x); }, -0.99f, 0.99f},
      {"Asinh", [](double x) { return std::asinh(x); }, -3.f, 3.f},
      {"Atan", [](double x) { return std::atan(x); }, -3.f, 3.f},
      {"Atanh", [](double x) { return std::atanh(x); }, -0.9f, 0.9f},
      {"Cos", [](double x) { return std::cos(x); }, -3.f, 3.f},
      {"Cosh", [](double x) { return std::cosh(x); }, -3.f, 3.f},
      {"Sin", [](double x) { return std::sin(x); }, -3.f, 3.f},
      {"Sinh", [](double x) { return std::sinh(x); }, -3.f, 3.f},
      {"Tan", [](double x) { return std::tan(x); }, -1.f, 1.f},
      {"Tanh", [](double x) { return std::tanh(x); }, -3.f, 3.f},
      {"Ceil", [](double x) { return std::ceil(x); }, -5.f, 5.f},
      {"Floor", [](double x) { return std::floor(x); }, -5.f, 5.f},
      {"Exp", [](double x) { return std::exp(x); }, -5.f, 5.f},
      {"Log", [](double x) { return std::log(x); }, 0.01f, 10.f},
      {"Reciprocal", [](double x) { return 1.0 / x; }, 0.5f, 4.f},
      {"Sqrt", [](double x) { return std::sqrt(x); }, 0.f, 10.f},
      {"Erf", [](double x) { return std::erf(x); }, -2.f, 2.f},
      {"Abs", [](double x) { return std::abs(x); }, -3.f, 3.f},
      {"Neg", [](double x) { return -x; }, -3.f, 3.f},
  };
  uint32_t seed = 1;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.op);
    const Tensor x = random_float({3, 7}, seed++, c.lo, c.hi);
    expect_close(run_one(node(c.op), {x}), map_values(x, c.reference));
  }
}

TEST(UnaryKernels, RoundHalvesToEven) {
  const Tensor x = make_tensor<float>(DataType::kFloat32, {6}, {0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 2.4f});
  EXPECT_EQ(values_of<float>(run_one(node("Round"), {x})), (std::vector<float>{0.f, 2.f, 2.f, -0.f, -2.f, 2.f}));
}

TEST(UnaryKernels, Float16ComputesInFloatAndKeepsItsType) {
  Tensor x(DataType::kFloat16, {4});
  const float in[] = {-1.25f, 0.5f, 2.f, 3.75f};
  for (int i = 0; i < 4; ++i) x.data<Half>()[i] = Half(in[i]);
  const Tensor y = run_one(node("Exp"), {x});
  ASSERT_EQ(y.dtype(), DataType::kFloat16);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(float(y.data<Half>()[i]), std::exp(in[i]), 2e-3 * std::exp(in[i]));
}

TEST(UnaryKernels, IntegerAbsNegSignWrapAtTheMinimum) {
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  const Tensor x = make_tensor<int32_t>(DataType::kInt32, {4}, {-7, 0, 12, kMin});
  EXPECT_EQ(values_of<int32_t>(run_one(node("Abs"), {x})), (std::vector<int32_t>{7, 0, 12, kMin}));
  EXPECT_EQ(values_of<int32_t>(run_one(node("Neg"), {x})), (std::vector<int32_t>{7, 0, -12, kMin}));
  EXPECT_EQ(values_of<int32_t>(run_one(node("Sign"), {x})), (std::vector<int32_t>{-1, 0, 1, -1}));
  const Tensor u = make_tensor<uint8_t>(DataType::kUInt8, {3}, {0, 5, 255});
  EXPECT_EQ(values_of<uint8_t>(run_one(node("Sign"), {u})), (std::vector<uint8_t>{0, 1, 1}));
}

TEST(UnaryKernels, SignKeepsNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor y = run_one(node("Sign"), {make_tensor<float>(DataType::kFloat32, {3}, {-2.5f, nan, 0.25f})});
  EXPECT_EQ(y.data<float>()[0], -1.f);
  EXPECT_TRUE(std::isnan(y.data<float>()[1]));
  EXPECT_EQ(y.data<float>()[2], 1.f);
}

TEST(UnaryKernels, IsInfHonoursItsDirectionAttributes) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = make_tensor<float>(DataType::kFloat32, {4}, {-inf, 1.5f, inf, nan});
  const Tensor both = run_one(node("IsInf"), {x});
  ASSERT_EQ(both.dtype(), DataType::kBool);
  EXPECT_EQ(values_of<bool>(both), (std::vector<bool>{true, false, true, false}));
  EXPECT_EQ(values_of<bool>(run_one(node("IsInf", {{"detect_positive", Attribute::of_int(0)}}), {x})),
            (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(values_of<bool>(run_one(node("IsInf", {{"detect_negative", Attribute::of_int(0)}}), {x})),
            (std::vector<bool>{false, false, true, false}));
  EXPECT_EQ(values_of<bool>(run_one(node("IsNaN"), {x})), (std::vector<bool>{false, false, false, true}));
}

TEST(UnaryKernels, NotNegatesBools) {
  const Tensor x = make_tensor<bool>(DataType::kBool, {2, 2}, {true, false, false, true});
  EXPECT_EQ(values_of<bool>(run_one(node("Not"), {x})), (std::vector<bool>{false, true, true, false}));
}

TEST(UnaryKernels, WrongInputTypeIsRejectedNamingTheInput) {
  const Tensor ints = make_tensor<int32_t>(DataType::kInt32, {2}, {4, 9});
  const Status s = run_error(node("Sqrt"), {ints});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(message_has(s, "'X'")) << s.message();
  EXPECT_TRUE(message_has(run_error(node("Not"), {ints}), "expected bool"));
  EXPECT_TRUE(message_has(run_error(node("Neg"), {make_tensor<uint8_t>(DataType::kUInt8, {1}, {3})}), "signed"));
}

}  // namespace
}  // namespace kiln::testing
