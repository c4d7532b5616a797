// kiln.QuantizeTranspose on the GPU (provider kiln_quantize_transpose) against the reference
// kernel, byte for byte: every tactic, the NCHW <-> NHWC reformats on an RGB batch and on odd
// sizes (scalar loads, unaligned output runs, partial tiles, more rows than the to-minor kernel
// takes), int8 / uint8 / float8e4m3 outputs, float32 and float16 inputs, parameters as device
// tensors or constants, and ties and saturating values in every case.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "backends/cuda/kernels/quantize/quantize_provider.h"
#include "gpu_layer_runner.h"
#include "ir/ops/fused_ops.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::NodeSpec;

constexpr const char* kProvider = "kiln_quantize_transpose";
constexpr float kScale = 0.25f;  // a power of two: x = t * scale divides back to exactly t

NodeSpec fused(const std::vector<int64_t>& perm) {
  NodeSpec ns;
  ns.op_type = std::string(kQuantizeTransposeOp);
  ns.domain = std::string(kKilnDomain);
  ns.opset = 1;
  ns.attrs = {{"perm", Attribute::of_ints(perm)}};
  return ns;
}

// Random values in [-80, 80) of which every fifth is scale * t for t an exact tie or out of
// every type's range; converted to `dtype` (exact in float16 for these values).
Tensor input(DataType dtype, const std::vector<int64_t>& dims, unsigned seed) {
  Tensor x = testing::random_float(dims, seed, -80.f, 80.f);
  const std::vector<float> special = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 126.5f, 127.5f, -128.5f, 254.5f, 255.5f,
                                      600.f, -600.f, 4.5f, -3.5f};
  for (int64_t i = 0; i < x.numel(); i += 5)
    x.data<float>()[i] = special[static_cast<size_t>(i / 5) % special.size()] * kScale;
  return dtype == DataType::kFloat32 ? x : testing::convert(x, dtype);
}

Tensor zero_point(DataType q) {
  if (q == DataType::kInt8) return testing::make_tensor<int8_t>(q, {}, {-2});
  if (q == DataType::kUInt8) return testing::make_tensor<uint8_t>(q, {}, {128});
  return Tensor(q, {});  // float8e4m3: zero
}

struct Case {
  std::vector<int64_t> dims, perm;
};

// Runs every tactic of every provider taking the layer and compares each with the reference;
// returns the names of kiln_quantize_transpose's tactics that ran.
std::vector<std::string> expect_matches_reference(const Case& c, DataType x_type, DataType q, bool constant_params) {
  const Tensor x = input(x_type, c.dims, 17);
  const Tensor scale = testing::make_tensor<float>(DataType::kFloat32, {}, {kScale});
  const std::vector<Tensor> inputs = {x, scale, zero_point(q)};
  const NodeSpec ns = fused(c.perm);
  auto expected = testing::run_node(ns, inputs);
  EXPECT_TRUE(expected.ok()) << expected.status().to_string();
  if (!expected.ok()) return {};
  const Tensor& want = (*expected)[0];
  auto layer = testing::node_in_graph(ns.op_type, ns.domain, ns.opset, ns.attrs, inputs);
  const cuda::LayerSpec spec = testing::make_spec(*layer->node, inputs, {want.dims()}, {want.dtype()},
                                                  constant_params ? std::vector<int>{1, 2} : std::vector<int>{});
  auto runs = testing::run_all_tactics(spec, inputs);
  EXPECT_TRUE(runs.ok()) << runs.status().to_string();
  if (!runs.ok()) return {};
  std::vector<std::string> ours;
  for (const testing::TacticRun& run : *runs) {
    if (run.provider == kProvider) ours.push_back(run.tactic);
    const Tensor& got = run.outputs[0];
    EXPECT_EQ(got.dims(), want.dims()) << run.tactic;
    if (got.nbytes() != want.nbytes()) continue;
    const auto* g = static_cast<const uint8_t*>(got.raw());
    const auto* w = static_cast<const uint8_t*>(want.raw());
    int64_t mismatches = 0, first = -1;
    for (size_t i = 0; i < want.nbytes(); ++i)
      if (g[i] != w[i]) {
        if (first < 0) first = static_cast<int64_t>(i);
        ++mismatches;
      }
    EXPECT_EQ(mismatches, 0) << run.tactic << ": first at byte " << first;
  }
  return ours;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(QuantizeTransposeGpuTest, RgbBatchToChannelsLast) {
  KILN_REQUIRE_GPU();
  const auto names =
      expect_matches_reference({{2, 3, 224, 224}, {0, 2, 3, 1}}, DataType::kFloat32, DataType::kInt8, false);
  EXPECT_TRUE(contains(names, "kiln_quantize_transpose_to_minor_fp32_fp32_i8"));
  EXPECT_TRUE(contains(names, "kiln_quantize_transpose_tiled_fp32_fp32_i8"));
}

TEST(QuantizeTransposeGpuTest, OddShapesTypesAndParameters) {
  KILN_REQUIRE_GPU();
  const std::vector<Case> cases = {
      {{3, 5, 7, 9}, {0, 2, 3, 1}},      // 5 rows: the to-minor kernel's general form; scalar loads
      {{1, 3, 17, 33}, {0, 2, 3, 1}},    // RGB with odd columns: scalar loads, unaligned output runs
      {{2, 3, 40, 52}, {0, 2, 3, 1}},    // RGB, one full and one partial tile per image
      {{2, 20, 6, 10}, {0, 2, 3, 1}},    // more rows than the to-minor kernel takes: tiled only
      {{2, 7, 9, 13}, {0, 3, 1, 2}},     // channels-last back to NCHW
      {{3, 1, 11, 5}, {0, 2, 3, 1}},     // one channel: the identity, as one row
  };
  for (DataType q : {DataType::kInt8, DataType::kUInt8, DataType::kFloat8E4M3})
    for (DataType x_type : {DataType::kFloat32, DataType::kFloat16})
      for (bool constant_params : {false, true})
        for (const Case& c : cases) {
          // A float8e4m3 zero point must be a constant (0), as kiln_quantize requires: see below.
          if (q == DataType::kFloat8E4M3 && !constant_params) continue;
          SCOPED_TRACE(std::string(data_type_name(x_type)) + " -> " + std::string(data_type_name(q)) + " " +
                       dims_to_string(c.dims) + " perm " + dims_to_string(c.perm) +
                       (constant_params ? " constant" : " device") + " parameters");
          const auto names = expect_matches_reference(c, x_type, q, constant_params);
          EXPECT_FALSE(names.empty()) << kProvider << " did not take the layer";
        }
}

// Both tactics offered for an RGB image, the tiled one alone for 20 rows.
TEST(QuantizeTransposeGpuTest, OffersTheToMinorKernelForFewRows) {
  KILN_REQUIRE_GPU();
  const auto narrow = expect_matches_reference({{3, 5, 7, 9}, {0, 2, 3, 1}}, DataType::kFloat32, DataType::kUInt8, true);
  EXPECT_EQ(narrow.size(), 2u);
  const auto wide = expect_matches_reference({{2, 20, 6, 10}, {0, 2, 3, 1}}, DataType::kFloat16, DataType::kInt8, true);
  EXPECT_EQ(wide, std::vector<std::string>{"kiln_quantize_transpose_tiled_fp16_fp32_i8"});
}

TEST(QuantizeTransposeGpuTest, CapturedIntoACudaGraph) {
  KILN_REQUIRE_GPU();
  const Tensor x = input(DataType::kFloat32, {2, 3, 64, 64}, 3);
  const std::vector<Tensor> inputs = {x, testing::make_tensor<float>(DataType::kFloat32, {}, {kScale}),
                                      zero_point(DataType::kInt8)};
  const NodeSpec ns = fused({0, 2, 3, 1});
  auto layer = testing::node_in_graph(ns.op_type, ns.domain, ns.opset, ns.attrs, inputs);
  const cuda::LayerSpec spec = testing::make_spec(*layer->node, inputs, {{2, 64, 64, 3}}, {DataType::kInt8});
  const cuda::TacticProvider& provider = cuda::quantize::quantize_transpose_provider();
  ASSERT_TRUE(provider.supports(spec).ok()) << provider.supports(spec).to_string();
  auto tactics = provider.tactics(spec, testing::test_device());
  ASSERT_TRUE(tactics.ok()) << tactics.status().to_string();
  for (const cuda::Tactic& t : *tactics) testing::expect_capture_matches_enqueue(provider, t, spec, inputs);
}

TEST(QuantizeTransposeGpuTest, RefusesWhatItCannotRun) {
  KILN_REQUIRE_GPU();
  const Tensor x = input(DataType::kFloat32, {2, 3, 4, 5}, 4);
  const Tensor scale = testing::make_tensor<float>(DataType::kFloat32, {}, {kScale});
  const NodeSpec ns = fused({0, 1, 3, 2});  // a batched swap of H and W, which the kernels take
  auto layer = testing::node_in_graph(ns.op_type, ns.domain, ns.opset, ns.attrs, {x, scale});
  const cuda::TacticProvider& provider = cuda::quantize::quantize_transpose_provider();
  EXPECT_TRUE(provider.supports(testing::make_spec(*layer->node, {x, scale}, {{2, 3, 5, 4}}, {DataType::kUInt8})).ok());
  const NodeSpec scrambled = fused({3, 1, 0, 2});  // no single batched matrix transpose
  auto other =
      testing::node_in_graph(scrambled.op_type, scrambled.domain, scrambled.opset, scrambled.attrs, {x, scale});
  const Status s = provider.supports(testing::make_spec(*other->node, {x, scale}, {{5, 3, 2, 4}}, {DataType::kUInt8}));
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  EXPECT_NE(s.message().find("not one batched matrix transpose"), std::string::npos) << s.to_string();
  const Tensor fp8_zero(DataType::kFloat8E4M3, {});
  auto fp8 = testing::node_in_graph(ns.op_type, ns.domain, ns.opset, ns.attrs, {x, scale, fp8_zero});
  const Status device_zero = provider.supports(
      testing::make_spec(*fp8->node, {x, scale, fp8_zero}, {{2, 3, 5, 4}}, {DataType::kFloat8E4M3}));
  EXPECT_EQ(device_zero.code(), StatusCode::kUnsupported) << device_zero.to_string();
}

}  // namespace
}  // namespace kiln
