// kiln.QGlobalAveragePool against an independent computation in double (x_scale * (mean(x) -
// zero_point) per image and channel), and against the two ops it replaces, DequantizeLinear then
// GlobalAveragePool, which it must equal to the bit.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "core/half.h"
#include "ir/ops/fused_ops.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::NodeSpec;
using testing::run_node;

Tensor random_bytes(DataType type, std::vector<int64_t> dims, uint32_t seed) {
  Tensor t(type, std::move(dims));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> u(type == DataType::kInt8 ? -128 : 0, type == DataType::kInt8 ? 127 : 255);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const int v = u(rng);
    if (type == DataType::kInt8) t.data<int8_t>()[i] = static_cast<int8_t>(v);
    else t.data<uint8_t>()[i] = static_cast<uint8_t>(v);
  }
  return t;
}

Tensor zero_point(DataType type, int value) {
  Tensor t(type, {});
  if (type == DataType::kInt8) *t.data<int8_t>() = static_cast<int8_t>(value);
  else *t.data<uint8_t>() = static_cast<uint8_t>(value);
  return t;
}

Tensor scalar(float v) { return testing::make_tensor<float>(DataType::kFloat32, {}, {v}); }

NodeSpec pool_spec(int64_t output_dtype = 1) {
  return NodeSpec{std::string(kQGlobalAveragePoolOp), {{"output_dtype", Attribute::of_int(output_dtype)}}, 1, 1,
                  std::string(kKilnDomain)};
}

Tensor run1(const NodeSpec& spec, const std::vector<Tensor>& inputs) {
  auto out = run_node(spec, inputs);
  EXPECT_TRUE(out.ok()) << spec.op_type << ": " << out.status().to_string();
  return out.ok() ? (*out)[0] : Tensor();
}

double element(const Tensor& x, int64_t i) {
  return x.dtype() == DataType::kInt8 ? x.data<int8_t>()[i] : x.data<uint8_t>()[i];
}

struct Case {
  DataType type;
  std::vector<int64_t> dims;  // [N, C, spatial...]
  float scale;
  int zero_point;             // < -999: no zero point input
};

TEST(QGlobalAveragePoolKernel, IsTheScaledMeanAndTheUnfusedOpsBitForBit) {
  const std::vector<Case> cases = {
      {DataType::kInt8, {2, 48, 7, 7}, 0.0371f, 0},       {DataType::kInt8, {3, 64, 14, 14}, 1.f / 16, -1000},
      {DataType::kInt8, {1, 5, 3, 2, 4}, 0.25f, -3},      {DataType::kUInt8, {2, 16, 9}, 0.0078125f, 128},
      {DataType::kUInt8, {4, 3, 1, 1}, 0.5f, -1000},
  };
  uint32_t seed = 10;
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << data_type_name(c.type) << " " << dims_to_string(c.dims) << " zp " << c.zero_point);
    const Tensor x = random_bytes(c.type, c.dims, ++seed);
    std::vector<Tensor> inputs = {x, scalar(c.scale)};
    if (c.zero_point > -1000) inputs.push_back(zero_point(c.type, c.zero_point));
    const Tensor y = run1(pool_spec(), inputs);
    ASSERT_TRUE(y.defined());
    std::vector<int64_t> out_dims = c.dims;
    for (size_t i = 2; i < out_dims.size(); ++i) out_dims[i] = 1;
    ASSERT_EQ(y.dims(), out_dims);
    ASSERT_EQ(y.dtype(), DataType::kFloat32);

    // Independently: in double, per (image, channel) plane.
    const int64_t planes = c.dims[0] * c.dims[1], pixels = x.numel() / planes;
    const double zp = c.zero_point > -1000 ? c.zero_point : 0;
    for (int64_t p = 0; p < planes; ++p) {
      double sum = 0;
      for (int64_t i = 0; i < pixels; ++i) sum += element(x, p * pixels + i) - zp;
      const double want = c.scale * sum / static_cast<double>(pixels);
      EXPECT_NEAR(y.data<float>()[p], want, 1e-6 * std::max(1.0, std::abs(want))) << "plane " << p;
    }

    // The graph it replaces: DequantizeLinear, then GlobalAveragePool.
    const Tensor dq = run1(NodeSpec{"DequantizeLinear", {}, 1, 13}, inputs);
    const Tensor pooled = run1(NodeSpec{"GlobalAveragePool", {}, 1, 1}, {dq});
    ASSERT_EQ(pooled.dims(), y.dims());
    EXPECT_EQ(std::memcmp(pooled.raw(), y.raw(), y.nbytes()), 0);
  }
}

TEST(QGlobalAveragePoolKernel, Float16OutputIsTheFloatResultRounded) {
  const Tensor x = random_bytes(DataType::kInt8, {2, 32, 5, 5}, 3);
  const std::vector<Tensor> inputs = {x, scalar(0.013f), zero_point(DataType::kInt8, 0)};
  const Tensor f32 = run1(pool_spec(1), inputs);
  const Tensor f16 = run1(pool_spec(10), inputs);
  ASSERT_TRUE(f32.defined() && f16.defined());
  ASSERT_EQ(f16.dtype(), DataType::kFloat16);
  for (int64_t i = 0; i < f32.numel(); ++i)
    EXPECT_EQ(f16.data<Half>()[i].bits, Half(f32.data<float>()[i]).bits) << i;
}

TEST(QGlobalAveragePoolSchema, RefusesWhatItDoesNotDefine) {
  const Tensor x = random_bytes(DataType::kInt8, {1, 8, 4, 4}, 5);
  auto refused = [](const NodeSpec& spec, const std::vector<Tensor>& inputs, const std::string& reason) {
    auto out = run_node(spec, inputs);
    ASSERT_FALSE(out.ok());
    EXPECT_NE(out.status().message().find(reason), std::string::npos) << out.status().to_string();
  };
  refused(pool_spec(), {testing::random_float({1, 8, 4, 4}, 1), scalar(0.1f)}, "int8 or uint8");
  refused(pool_spec(), {x, testing::random_float({8}, 2, 0.1f, 1.f)}, "one value");
  refused(pool_spec(), {x, scalar(0.1f), zero_point(DataType::kUInt8, 0)}, "zero point");
  refused(pool_spec(6), {x, scalar(0.1f)}, "output_dtype");
  refused(pool_spec(), {random_bytes(DataType::kInt8, {2, 8}, 6), scalar(0.1f)}, "rank 2");
}

}  // namespace
}  // namespace kiln
