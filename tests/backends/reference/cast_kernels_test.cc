#include <cstring>
#include <limits>

#include "backends/reference/elementwise_test_util.h"

namespace kiln::testing {
namespace {

// ONNX TensorProto.DataType numbers.
constexpr int64_t kOnnxFloat = 1, kOnnxUInt8 = 2, kOnnxInt8 = 3, kOnnxInt32 = 6, kOnnxString = 8,
                  kOnnxBool = 9, kOnnxFloat16 = 10, kOnnxDouble = 11, kOnnxUInt64 = 13, kOnnxBFloat16 = 16;

NodeSpec cast_to(int64_t onnx_type) { return node("Cast", {{"to", Attribute::of_int(onnx_type)}}); }

TEST(CastKernels, FloatToIntegerTruncatesSaturatesAndZeroesNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = make_tensor<float>(DataType::kFloat32, {6}, {2.7f, -2.7f, 3e9f, -3e9f, nan, -0.5f});
  const Tensor i32 = run_one(cast_to(kOnnxInt32), {x});
  ASSERT_EQ(i32.dtype(), DataType::kInt32);
  EXPECT_EQ(values_of<int32_t>(i32), (std::vector<int32_t>{2, -2, std::numeric_limits<int32_t>::max(),
                                                            std::numeric_limits<int32_t>::min(), 0, 0}));
  EXPECT_EQ(values_of<uint8_t>(run_one(cast_to(kOnnxUInt8), {x})), (std::vector<uint8_t>{2, 0, 255, 0, 0, 0}));
  EXPECT_EQ(values_of<uint64_t>(run_one(cast_to(kOnnxUInt64), {x}))[2], uint64_t{3000000000});
}

TEST(CastKernels, IntegersWrapAndBoolsAreZeroOrNonzero) {
  const Tensor x = make_tensor<int64_t>(DataType::kInt64, {4}, {300, -129, 0, 5});
  EXPECT_EQ(values_of<int8_t>(run_one(cast_to(kOnnxInt8), {x})), (std::vector<int8_t>{44, 127, 0, 5}));
  EXPECT_EQ(values_of<bool>(run_one(cast_to(kOnnxBool), {x})), (std::vector<bool>{true, true, false, true}));
  const Tensor b = make_tensor<bool>(DataType::kBool, {2}, {true, false});
  EXPECT_EQ(values_of<float>(run_one(cast_to(kOnnxFloat), {b})), (std::vector<float>{1.f, 0.f}));
  const Tensor f = make_tensor<float>(DataType::kFloat32, {3}, {0.f, -0.25f, std::numeric_limits<float>::quiet_NaN()});
  EXPECT_EQ(values_of<bool>(run_one(cast_to(kOnnxBool), {f})), (std::vector<bool>{false, true, true}));
}

TEST(CastKernels, SixteenBitFloatsRoundToNearestEven) {
  // 1 + 2^-11 is halfway between two float16 values: it rounds to the even one (1.0);
  // 1 + 3 * 2^-11 rounds up to 1 + 2^-9.
  const Tensor x = make_tensor<float>(DataType::kFloat32, {3}, {1.f + 0x1p-11f, 1.f + 3 * 0x1p-11f, 65520.f});
  const Tensor h = run_one(cast_to(kOnnxFloat16), {x});
  ASSERT_EQ(h.dtype(), DataType::kFloat16);
  EXPECT_EQ(float(h.data<Half>()[0]), 1.f);
  EXPECT_EQ(float(h.data<Half>()[1]), 1.f + 0x1p-9f);
  EXPECT_TRUE(std::isinf(float(h.data<Half>()[2])));  // past float16's range
  const Tensor back = run_one(cast_to(kOnnxDouble), {h});
  EXPECT_EQ(back.data<double>()[1], 1.0 + 0x1p-9);

  const float bf_halfway = 1.f + 0x1p-8f;  // halfway between bfloat16 1.0 and 1 + 2^-7
  const Tensor bf = run_one(cast_to(kOnnxBFloat16), {make_tensor<float>(DataType::kFloat32, {1}, {bf_halfway})});
  ASSERT_EQ(bf.dtype(), DataType::kBFloat16);
  EXPECT_EQ(float(bf.data<BFloat16>()[0]), 1.f);
}

TEST(CastKernels, CastLikeTakesTheTargetsType) {
  const Tensor x = make_tensor<float>(DataType::kFloat32, {2, 2}, {1.5f, -2.5f, 7.9f, 0.f});
  const Tensor like = make_tensor<int32_t>(DataType::kInt32, {1}, {0});
  const Tensor y = run_one(node("CastLike"), {x, like});
  ASSERT_EQ(y.dtype(), DataType::kInt32);
  EXPECT_EQ(y.dims(), x.dims());
  EXPECT_EQ(values_of<int32_t>(y), (std::vector<int32_t>{1, -2, 7, 0}));
}

TEST(CastKernels, UnsupportedTargetTypesAreReportedNamingTheAttribute) {
  const Tensor x = random_float({2}, 1);
  Status s = run_error(cast_to(kOnnxString), {x});
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_TRUE(message_has(s, "attribute 'to'")) << s.message();
  s = run_error(cast_to(99), {x});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(message_has(run_error(node("Cast"), {x}), "'to' is missing"));
}

TEST(CastKernels, IdentityCopiesIntoItsOwnStorage) {
  const Tensor x = random_float({3, 4}, 2);
  const Tensor y = run_one(node("Identity"), {x});
  EXPECT_EQ(y.dims(), x.dims());
  EXPECT_NE(y.raw(), x.raw());
  EXPECT_EQ(std::memcmp(y.raw(), x.raw(), x.nbytes()), 0);
}

}  // namespace
}  // namespace kiln::testing
