#include <gtest/gtest.h>

#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::NodeSpec;
using testing::random_float;
using testing::run_node;

TEST(MatMulKernel, BroadcastsBatchesAndHandlesVectors) {
  const Tensor a = random_float({2, 1, 3, 4}, 1), b = random_float({3, 4, 5}, 2);
  auto out = run_node(NodeSpec{"MatMul", {}}, {a, b});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const Tensor& y = (*out)[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{2, 3, 3, 5}));
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t r = 0; r < 3; ++r)
        for (int64_t c = 0; c < 5; ++c) {
          double s = 0;
          for (int64_t k = 0; k < 4; ++k) s += double(a.data<float>()[(i * 3 + r) * 4 + k]) * b.data<float>()[(j * 4 + k) * 5 + c];
          ASSERT_NEAR(y.data<float>()[((i * 3 + j) * 3 + r) * 5 + c], s, 1e-5);
        }
  auto vec = run_node(NodeSpec{"MatMul", {}}, {random_float({4}, 3), b});
  ASSERT_TRUE(vec.ok());
  EXPECT_EQ((*vec)[0].dims(), (std::vector<int64_t>{3, 5}));
  EXPECT_FALSE(run_node(NodeSpec{"MatMul", {}}, {a, random_float({3, 5}, 4)}).ok());
}

TEST(MatMulKernel, GemmBroadcastsCAndAppliesAlphaBeta) {
  const Tensor a = random_float({3, 2}, 5), b = random_float({4, 3}, 6), c = random_float({4}, 7);
  auto out = run_node(NodeSpec{"Gemm", {{"transA", Attribute::of_int(1)}, {"transB", Attribute::of_int(1)},
                                        {"alpha", Attribute::of_float(0.5f)}, {"beta", Attribute::of_float(2.f)}}},
                      {a, b, c});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 4; ++j) {
      double s = 0;
      for (int64_t k = 0; k < 3; ++k) s += double(a.data<float>()[k * 2 + i]) * b.data<float>()[j * 3 + k];
      EXPECT_NEAR((*out)[0].data<float>()[i * 4 + j], 0.5 * s + 2.0 * c.data<float>()[j], 1e-5);
    }
  EXPECT_FALSE(run_node(NodeSpec{"Gemm", {}}, {a, b}).ok());  // K mismatch without transposes
}

TEST(MatMulKernel, MatMulIntegerPerRowAndPerColumnZeroPoints) {
  const Tensor a = testing::make_tensor<uint8_t>(DataType::kUInt8, {2, 2}, {5, 6, 7, 8});
  const Tensor b = testing::make_tensor<int8_t>(DataType::kInt8, {2, 2}, {1, -2, 3, 4});
  const Tensor az = testing::make_tensor<uint8_t>(DataType::kUInt8, {2}, {1, 2});
  const Tensor bz = testing::make_tensor<int8_t>(DataType::kInt8, {2}, {0, -1});
  auto out = run_node(NodeSpec{"MatMulInteger", {}}, {a, b, az, bz});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  // A - az = [[4, 5], [5, 6]]; B - bz = [[1, -1], [3, 5]]
  const int32_t* y = (*out)[0].data<int32_t>();
  EXPECT_EQ(std::vector<int32_t>(y, y + 4), (std::vector<int32_t>{19, 21, 23, 25}));
}

TEST(QuantizeKernel, RoundsHalfToEvenAndSaturatesPerAxis) {
  const Tensor x = testing::make_tensor<float>(DataType::kFloat32, {2, 3}, {0.5f, 1.5f, 2.5f, -300.f, 300.f, -1.f});
  const Tensor scale = testing::make_tensor<float>(DataType::kFloat32, {2}, {1.f, 2.f});
  const Tensor zp = testing::make_tensor<int8_t>(DataType::kInt8, {2}, {0, 1});
  auto q = run_node(NodeSpec{"QuantizeLinear", {{"axis", Attribute::of_int(0)}}}, {x, scale, zp});
  ASSERT_TRUE(q.ok()) << q.status().to_string();
  const int8_t* y = (*q)[0].data<int8_t>();
  EXPECT_EQ(std::vector<int>(y, y + 6), (std::vector<int>{0, 2, 2, -128, 127, 1}));
  auto dq = run_node(NodeSpec{"DequantizeLinear", {{"axis", Attribute::of_int(0)}}}, {(*q)[0], scale, zp});
  ASSERT_TRUE(dq.ok());
  EXPECT_EQ((*dq)[0].data<float>()[5], 0.f);
  EXPECT_EQ((*dq)[0].data<float>()[4], 252.f);
  EXPECT_FALSE(run_node(NodeSpec{"QuantizeLinear", {{"axis", Attribute::of_int(1)}}}, {x, scale, zp}).ok());
}

TEST(QuantizeKernel, DynamicQuantizeCoversZero) {
  const Tensor x = testing::make_tensor<float>(DataType::kFloat32, {3}, {1.f, 2.f, 5.1f});
  auto out = run_node(NodeSpec{"DynamicQuantizeLinear", {}, 3}, {x});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_FLOAT_EQ((*out)[1].data<float>()[0], 5.1f / 255.f);
  EXPECT_EQ((*out)[2].data<uint8_t>()[0], 0);
  EXPECT_EQ((*out)[0].data<uint8_t>()[2], 255);
}

TEST(EinsumKernel, DiagonalEllipsisAndImplicitOutput) {
  const Tensor x = random_float({2, 3, 3}, 8);
  auto diag = run_node(NodeSpec{"Einsum", {{"equation", Attribute::of_string("...ii->...i")}}}, {x});
  ASSERT_TRUE(diag.ok()) << diag.status().to_string();
  ASSERT_EQ((*diag)[0].dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ((*diag)[0].data<float>()[4], x.data<float>()[9 + 4]);
  const Tensor a = random_float({2, 3}, 9), b = random_float({3, 4}, 10);
  auto mm = run_node(NodeSpec{"Einsum", {{"equation", Attribute::of_string("ij,jk")}}}, {a, b});
  ASSERT_TRUE(mm.ok());
  ASSERT_EQ((*mm)[0].dims(), (std::vector<int64_t>{2, 4}));
  double s = 0;
  for (int k = 0; k < 3; ++k) s += double(a.data<float>()[3 + k]) * b.data<float>()[k * 4 + 2];
  EXPECT_NEAR((*mm)[0].data<float>()[6], s, 1e-5);
  EXPECT_FALSE(run_node(NodeSpec{"Einsum", {{"equation", Attribute::of_string("ij,jk")}}}, {a, a}).ok());
  EXPECT_FALSE(run_node(NodeSpec{"Einsum", {{"equation", Attribute::of_string("i.j")}}}, {a}).ok());
}

TEST(DetKernel, PivotsAndBatches) {
  const Tensor x = testing::make_tensor<float>(DataType::kFloat32, {2, 2, 2}, {0.f, 2.f, 3.f, 4.f, 1.f, 2.f, 2.f, 4.f});
  auto out = run_node(NodeSpec{"Det", {}}, {x});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], -6.f);
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[1], 0.f);
  EXPECT_FALSE(run_node(NodeSpec{"Det", {}}, {random_float({2, 3}, 11)}).ok());
}

}  // namespace
}  // namespace kiln
