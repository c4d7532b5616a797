#include <limits>

#include "backends/reference/elementwise_test_util.h"

namespace kiln::testing {
namespace {

// Reference broadcasting by explicit index arithmetic on [2, 3, 4] against [3, 1].
std::vector<double> add_2x3x4_and_3x1(const Tensor& a, const Tensor& b) {
  std::vector<double> out;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) out.push_back(double(a.data<float>()[(i * 3 + j) * 4 + k]) + b.data<float>()[j]);
  return out;
}

TEST(BinaryKernels, ArithmeticBroadcastsBothWays) {
  const Tensor a = random_float({2, 3, 4}, 1);
  const Tensor b = random_float({3, 1}, 2);
  const Tensor y = run_one(node("Add"), {a, b});
  EXPECT_EQ(y.dims(), (std::vector<int64_t>{2, 3, 4}));
  expect_close(y, add_2x3x4_and_3x1(a, b));
  expect_close(run_one(node("Add"), {b, a}), add_2x3x4_and_3x1(a, b));
  // [2, 1, 4] against [3, 1]: both sides broadcast.
  const Tensor c = random_float({2, 1, 4}, 3);
  const Tensor z = run_one(node("Mul"), {c, b});
  ASSERT_EQ(z.dims(), (std::vector<int64_t>{2, 3, 4}));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        EXPECT_FLOAT_EQ(z.data<float>()[(i * 3 + j) * 4 + k], c.data<float>()[i * 4 + k] * b.data<float>()[j]);
}

TEST(BinaryKernels, SameShapeAndScalarOperands) {
  const Tensor a = random_float({5, 6}, 4);
  const Tensor b = random_float({5, 6}, 5, 1.f, 2.f);
  std::vector<double> sub, div;
  for (int64_t i = 0; i < a.numel(); ++i) {
    sub.push_back(double(a.data<float>()[i]) - b.data<float>()[i]);
    div.push_back(double(a.data<float>()[i]) / b.data<float>()[i]);
  }
  expect_close(run_one(node("Sub"), {a, b}), sub);
  expect_close(run_one(node("Div"), {a, b}), div);
  const Tensor two = make_tensor<float>(DataType::kFloat32, {}, {2.f});
  expect_close(run_one(node("Mul"), {two, a}), map_values(a, [](double x) { return 2 * x; }));
}

TEST(BinaryKernels, LargeBroadcastSplitAcrossThreadsMatches) {
  const Tensor a = random_float({64, 1000}, 6);
  const Tensor b = random_float({1000}, 7);
  const Tensor y = run_one(node("Add"), {a, b});
  std::vector<double> expected;
  for (int64_t i = 0; i < a.numel(); ++i) expected.push_back(double(a.data<float>()[i]) + b.data<float>()[i % 1000]);
  expect_close(y, expected);
}

TEST(BinaryKernels, IntegerArithmeticWrapsAndDivisionTruncates) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  const Tensor a = make_tensor<int32_t>(DataType::kInt32, {4}, {kMax, -7, 7, kMin});
  const Tensor b = make_tensor<int32_t>(DataType::kInt32, {4}, {1, 2, -2, -1});
  EXPECT_EQ(values_of<int32_t>(run_one(node("Add"), {a, b})), (std::vector<int32_t>{kMin, -5, 5, kMax}));
  EXPECT_EQ(values_of<int32_t>(run_one(node("Div"), {a, b})), (std::vector<int32_t>{kMax, -3, -3, kMin}));
  const Tensor u = make_tensor<uint8_t>(DataType::kUInt8, {2}, {250, 3});
  EXPECT_EQ(values_of<uint8_t>(run_one(node("Mul"), {u, make_tensor<uint8_t>(DataType::kUInt8, {}, {2})})),
            (std::vector<uint8_t>{244, 6}));
}

TEST(BinaryKernels, IntegerDivisionByZeroIsAnError) {
  const Tensor a = make_tensor<int64_t>(DataType::kInt64, {2}, {4, 5});
  const Tensor b = make_tensor<int64_t>(DataType::kInt64, {2}, {2, 0});
  EXPECT_TRUE(message_has(run_error(node("Div"), {a, b}), "division by zero"));
  EXPECT_TRUE(message_has(run_error(node("Mod"), {a, b}), "division by zero"));
}

TEST(BinaryKernels, ModFollowsPythonSignsUnlessFmod) {
  const Tensor a = make_tensor<int32_t>(DataType::kInt32, {6}, {-4, 7, 5, 4, -7, 8});
  const Tensor b = make_tensor<int32_t>(DataType::kInt32, {6}, {2, -3, 8, -2, 3, 5});
  EXPECT_EQ(values_of<int32_t>(run_one(node("Mod"), {a, b})), (std::vector<int32_t>{0, -2, 5, 0, 2, 3}));
  EXPECT_EQ(values_of<int32_t>(run_one(node("Mod", {{"fmod", Attribute::of_int(1)}}), {a, b})),
            (std::vector<int32_t>{0, 1, 5, 0, -1, 3}));
  const Tensor x = random_float({8}, 8, -5.f, 5.f);
  const Tensor y = random_float({8}, 9, 0.5f, 2.f);
  std::vector<double> expected;
  for (int i = 0; i < 8; ++i) expected.push_back(std::fmod(x.data<float>()[i], y.data<float>()[i]));
  expect_close(run_one(node("Mod", {{"fmod", Attribute::of_int(1)}}), {x, y}), expected);
  EXPECT_TRUE(message_has(run_error(node("Mod"), {x, y}), "'fmod' must be 1"));
}

TEST(BinaryKernels, PowMixesBaseAndExponentTypes) {
  const Tensor base = make_tensor<float>(DataType::kFloat32, {3}, {1.5f, 2.f, 3.f});
  const Tensor exponent = make_tensor<float>(DataType::kFloat32, {3}, {2.f, 0.5f, -1.f});
  expect_close(run_one(node("Pow"), {base, exponent}), {2.25, std::sqrt(2.0), 1.0 / 3});
  const Tensor int_exponent = make_tensor<int64_t>(DataType::kInt64, {3}, {3, -2, 0});
  expect_close(run_one(node("Pow"), {base, int_exponent}), {3.375, 0.25, 1.0});
  // The output has the base's type: an int base with a float exponent truncates.
  const Tensor int_base = make_tensor<int32_t>(DataType::kInt32, {3}, {2, 9, -3});
  const Tensor y = run_one(node("Pow"), {int_base, make_tensor<float>(DataType::kFloat32, {3}, {1.5f, 0.5f, 3.f})});
  ASSERT_EQ(y.dtype(), DataType::kInt32);
  EXPECT_EQ(values_of<int32_t>(y), (std::vector<int32_t>{2, 3, -27}));
  const Tensor i64 = make_tensor<int64_t>(DataType::kInt64, {4}, {3, -2, 5, -1});
  EXPECT_EQ(values_of<int64_t>(run_one(node("Pow"), {i64, make_tensor<int64_t>(DataType::kInt64, {4}, {4, 3, -1, -3})})),
            (std::vector<int64_t>{81, -8, 0, -1}));
}

TEST(BinaryKernels, BitShiftBothDirections) {
  const Tensor x = make_tensor<uint8_t>(DataType::kUInt8, {4}, {16, 4, 1, 255});
  const Tensor s = make_tensor<uint8_t>(DataType::kUInt8, {4}, {1, 2, 7, 8});
  EXPECT_EQ(values_of<uint8_t>(run_one(node("BitShift", {{"direction", Attribute::of_string("LEFT")}}), {x, s})),
            (std::vector<uint8_t>{32, 16, 128, 0}));
  EXPECT_EQ(values_of<uint8_t>(run_one(node("BitShift", {{"direction", Attribute::of_string("RIGHT")}}), {x, s})),
            (std::vector<uint8_t>{8, 1, 0, 0}));
  EXPECT_TRUE(message_has(run_error(node("BitShift", {{"direction", Attribute::of_string("UP")}}), {x, s}),
                          "'direction'"));
  EXPECT_TRUE(message_has(run_error(node("BitShift"), {x, s}), "'direction' is missing"));
}

TEST(BinaryKernels, LogicAndComparisonsGiveBool) {
  const Tensor a = make_tensor<bool>(DataType::kBool, {2, 2}, {true, true, false, false});
  const Tensor b = make_tensor<bool>(DataType::kBool, {2}, {true, false});
  EXPECT_EQ(values_of<bool>(run_one(node("And"), {a, b})), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(values_of<bool>(run_one(node("Or"), {a, b})), (std::vector<bool>{true, true, true, false}));
  EXPECT_EQ(values_of<bool>(run_one(node("Xor"), {a, b})), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(values_of<bool>(run_one(node("Equal"), {a, b})), (std::vector<bool>{true, false, false, true}));

  const Tensor x = make_tensor<int64_t>(DataType::kInt64, {4}, {-1, 2, 3, 9});
  const Tensor three = make_tensor<int64_t>(DataType::kInt64, {1}, {3});
  const Tensor gt = run_one(node("Greater"), {x, three});
  ASSERT_EQ(gt.dtype(), DataType::kBool);
  EXPECT_EQ(values_of<bool>(gt), (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ(values_of<bool>(run_one(node("GreaterOrEqual"), {x, three})), (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(values_of<bool>(run_one(node("Less"), {x, three})), (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(values_of<bool>(run_one(node("LessOrEqual"), {x, three})), (std::vector<bool>{true, true, true, false}));
  Tensor h(DataType::kFloat16, {2});
  h.data<Half>()[0] = Half(0.5f);
  h.data<Half>()[1] = Half(-2.f);
  Tensor zero(DataType::kFloat16, {});
  EXPECT_EQ(values_of<bool>(run_one(node("Less"), {h, zero})), (std::vector<bool>{false, true}));
}

TEST(BinaryKernels, WhereBroadcastsAllThreeInputs) {
  const Tensor c = make_tensor<bool>(DataType::kBool, {2, 1}, {true, false});
  const Tensor x = make_tensor<int32_t>(DataType::kInt32, {3}, {1, 2, 3});
  const Tensor y = make_tensor<int32_t>(DataType::kInt32, {}, {-1});
  const Tensor out = run_one(node("Where"), {c, x, y});
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values_of<int32_t>(out), (std::vector<int32_t>{1, 2, 3, -1, -1, -1}));
  EXPECT_TRUE(message_has(run_error(node("Where"), {x, x, y}), "'condition'"));
}

TEST(BinaryKernels, VariadicOpsBroadcastEveryInput) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor a = make_tensor<float>(DataType::kFloat32, {2, 2}, {1.f, 5.f, -2.f, nan});
  const Tensor b = make_tensor<float>(DataType::kFloat32, {2}, {3.f, 0.f});
  const Tensor c = make_tensor<float>(DataType::kFloat32, {}, {2.f});
  EXPECT_EQ(values_of<float>(run_one(node("Sum"), {a, b, c}))[0], 6.f);
  expect_close(run_one(node("Sum"), {b, c}), {5.0, 2.0});
  expect_close(run_one(node("Mean"), {b, c}), {2.5, 1.0});
  const Tensor max = run_one(node("Max"), {a, b, c});
  EXPECT_EQ(max.dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(max.data<float>()[0], 3.f);
  EXPECT_EQ(max.data<float>()[1], 5.f);
  EXPECT_EQ(max.data<float>()[2], 3.f);
  EXPECT_TRUE(std::isnan(max.data<float>()[3]));  // NaN propagates
  const Tensor min = run_one(node("Min"), {a, b, c});
  EXPECT_EQ(min.data<float>()[1], 0.f);
  EXPECT_EQ(min.data<float>()[2], -2.f);
  EXPECT_TRUE(std::isnan(min.data<float>()[3]));
  EXPECT_EQ(values_of<float>(run_one(node("Max"), {b})), (std::vector<float>{3.f, 0.f}));
  const Tensor u = make_tensor<uint16_t>(DataType::kUInt16, {3}, {1, 60000, 7});
  EXPECT_EQ(values_of<uint16_t>(run_one(node("Min"), {u, make_tensor<uint16_t>(DataType::kUInt16, {1}, {8})})),
            (std::vector<uint16_t>{1, 8, 7}));
}

TEST(BinaryKernels, MismatchedTypesAndShapesAreRejected) {
  const Tensor f = random_float({2, 3}, 12);
  Status s = run_error(node("Add"), {f, make_tensor<double>(DataType::kFloat64, {1}, {1.0})});
  EXPECT_TRUE(message_has(s, "same type")) << s.message();
  s = run_error(node("Add"), {f, random_float({2}, 13)});
  EXPECT_TRUE(message_has(s, "cannot be broadcast")) << s.message();
  s = run_error(node("Sum"), {make_tensor<int32_t>(DataType::kInt32, {1}, {1})});
  EXPECT_TRUE(message_has(s, "floating")) << s.message();
}

}  // namespace
}  // namespace kiln::testing
