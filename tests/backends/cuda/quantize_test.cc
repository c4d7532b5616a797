// Kiln's QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear kernels against the reference
// kernels: per-tensor and per-axis parameters, uint8 and int8, values that saturate and that sit
// exactly halfway between two integers (round half to even), 16-bit inputs; float8e4m3 (FP8)
// with values halfway between two E4M3 values, subnormal and saturating.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/kernels/quantize/quantize_provider.h"
#include "gpu_layer_runner.h"
#include "ir/op_schema.h"
#include "quantized_layer_testing.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::NodeSpec;

constexpr const char* kProvider = "kiln_quantize";
const std::vector<int64_t> kShape = {2, 3, 4, 5};

// The node as a layer, in its own graph.
std::unique_ptr<testing::OwnedNode> make_layer(const NodeSpec& ns, const std::vector<Tensor>& inputs) {
  return testing::node_in_graph(ns.op_type, ns.domain, ns.opset, ns.attrs, inputs, ns.num_outputs);
}

NodeSpec op_spec(std::string op, int num_outputs = 1, int opset = 13) {
  NodeSpec ns;
  ns.op_type = std::move(op);
  ns.num_outputs = num_outputs;
  ns.opset = opset;
  ns.attrs = {{"axis", Attribute::of_int(1)}};
  if (ns.op_type == "DynamicQuantizeLinear") ns.attrs.clear();
  return ns;
}

cuda::LayerSpec spec_for(const testing::OwnedNode& layer, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                         const std::vector<int>& constant_inputs) {
  std::vector<std::vector<int64_t>> dims;
  std::vector<DataType> types;
  for (const Tensor& t : outputs) {
    dims.push_back(t.dims());
    types.push_back(t.dtype());
  }
  return testing::make_spec(*layer.node, inputs, dims, types, constant_inputs);
}

// Integer outputs must match byte for byte; float outputs within `float_tolerance` (0: byte for
// byte too).
void expect_matches(const Tensor& got, const Tensor& want, double float_tolerance, const std::string& what) {
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  ASSERT_EQ(got.dims(), want.dims()) << what;
  if (is_floating(want.dtype()) && float_tolerance > 0) {
    EXPECT_LE(testing::relative_error(got, want), float_tolerance) << what;
    return;
  }
  const auto* g = static_cast<const uint8_t*>(got.raw());
  const auto* w = static_cast<const uint8_t*>(want.raw());
  int64_t mismatches = 0, first = -1;
  for (size_t i = 0; i < want.nbytes(); ++i)
    if (g[i] != w[i]) {
      if (first < 0) first = static_cast<int64_t>(i);
      ++mismatches;
    }
  EXPECT_EQ(mismatches, 0) << what << ": first at byte " << first << " (got " << int{g[first < 0 ? 0 : first]}
                           << ", want " << int{w[first < 0 ? 0 : first]} << ")";
}

// Runs the layer on `inputs` through every GPU tactic and compares each with `expected`
// (the reference's outputs, converted to the layer's output types where those differ).
void check_against(const NodeSpec& ns, const std::vector<Tensor>& inputs, const std::vector<Tensor>& expected,
                   const std::vector<int>& constant_inputs = {}, double float_tolerance = 1e-6) {
  auto layer = make_layer(ns, inputs);
  const cuda::LayerSpec spec = spec_for(*layer, inputs, expected, constant_inputs);
  auto runs = testing::run_all_tactics(spec, inputs);
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  bool ours = false;
  for (const testing::TacticRun& run : *runs) {
    ours = ours || run.provider == kProvider;
    ASSERT_EQ(run.outputs.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i)
      expect_matches(run.outputs[i], expected[i], float_tolerance, run.tactic + " output " + std::to_string(i));
  }
  EXPECT_TRUE(ours) << kProvider << " did not run " << ns.op_type;
}

void check(const NodeSpec& ns, const std::vector<Tensor>& inputs, const std::vector<int>& constant_inputs = {}) {
  auto expected = testing::run_node(ns, inputs);
  ASSERT_TRUE(expected.ok()) << expected.status().to_string();
  check_against(ns, inputs, *expected, constant_inputs);
}

Tensor values(DataType dtype, std::vector<int64_t> dims, const std::vector<float>& v) {
  Tensor t = testing::make_tensor<float>(DataType::kFloat32, std::move(dims), v);
  return dtype == DataType::kFloat32 ? t : testing::convert(t, dtype);
}

// Quantization parameters along axis 1 of kShape (3 channels), or one value for the tensor.
struct Params {
  std::vector<float> scales;
  std::vector<float> zero_points;
};

Params params_for(DataType q, bool per_axis) {
  // Powers of two, so that x = t * scale divides back to exactly t (ties stay ties).
  if (q == DataType::kInt8) return per_axis ? Params{{1.f, 0.5f, 2.f}, {-3.f, 0.f, 5.f}} : Params{{0.5f}, {-4.f}};
  return per_axis ? Params{{1.f, 0.5f, 2.f}, {128.f, 0.f, 7.f}} : Params{{2.f}, {100.f}};
}

// Random values in [-300, 300) of which every third is scale * t for t an exact tie (k + 0.5)
// or a value far out of range, so both rounding and saturation are exercised.
Tensor quantize_input(const Params& p, bool per_axis, unsigned seed) {
  Tensor x = testing::random_float(kShape, seed, -300.f, 300.f);
  const std::vector<float> special = {0.5f,   1.5f,   2.5f,   -0.5f,  -1.5f,  -2.5f, 126.5f,  127.5f,
                                      -127.5f, -128.5f, 254.5f, 255.5f, -3.5f, 1000.f, -1000.f, 4.5f};
  const int64_t inner = kShape[2] * kShape[3];
  for (int64_t i = 0; i < x.numel(); i += 3) {
    const size_t channel = per_axis ? static_cast<size_t>((i / inner) % kShape[1]) : 0;
    x.data<float>()[i] = special[static_cast<size_t>(i / 3) % special.size()] * p.scales[channel];
  }
  return x;
}

std::vector<int64_t> param_dims(bool per_axis) { return per_axis ? std::vector<int64_t>{3} : std::vector<int64_t>{}; }

TEST(QuantizeGpuTest, QuantizeLinear) {
  KILN_REQUIRE_GPU();
  for (DataType q : {DataType::kUInt8, DataType::kInt8})
    for (bool per_axis : {false, true})
      for (bool constant_params : {false, true}) {
        SCOPED_TRACE(std::string(data_type_name(q)) + (per_axis ? " per-axis" : " per-tensor") +
                     (constant_params ? " constant" : " device") + " parameters");
        const Params p = params_for(q, per_axis);
        const Tensor x = quantize_input(p, per_axis, 7);
        const Tensor scale = values(DataType::kFloat32, param_dims(per_axis), p.scales);
        const Tensor zero_point = values(q, param_dims(per_axis), p.zero_points);
        check(op_spec("QuantizeLinear"), {x, scale, zero_point}, constant_params ? std::vector<int>{1, 2} : std::vector<int>{});
      }
}

TEST(QuantizeGpuTest, QuantizeLinearWithoutZeroPointOpset10) {
  KILN_REQUIRE_GPU();
  const Params p = params_for(DataType::kUInt8, false);
  const Tensor x = quantize_input(p, false, 8);
  check(op_spec("QuantizeLinear", 1, 10), {x, values(DataType::kFloat32, {}, p.scales)});
}

// 16-bit inputs, with a scale of the same type and with a float32 scale.
TEST(QuantizeGpuTest, QuantizeLinearFloat16AndBFloat16Input) {
  KILN_REQUIRE_GPU();
  for (DataType real : {DataType::kFloat16, DataType::kBFloat16})
    for (DataType scale_type : {real, DataType::kFloat32})
      for (DataType q : {DataType::kUInt8, DataType::kInt8})
        for (bool per_axis : {false, true}) {
          SCOPED_TRACE(std::string(data_type_name(real)) + " x, " + std::string(data_type_name(scale_type)) +
                       " scale, " + std::string(data_type_name(q)) + (per_axis ? " per-axis" : " per-tensor"));
          const Params p = params_for(q, per_axis);
          const Tensor x = testing::convert(quantize_input(p, per_axis, 9), real);
          check(op_spec("QuantizeLinear", 1, 19),
                {x, values(scale_type, param_dims(per_axis), p.scales), values(q, param_dims(per_axis), p.zero_points)});
        }
}

TEST(QuantizeGpuTest, DequantizeLinear) {
  KILN_REQUIRE_GPU();
  for (DataType q : {DataType::kUInt8, DataType::kInt8})
    for (bool per_axis : {false, true})
      for (bool with_zero_point : {true, false}) {
        SCOPED_TRACE(std::string(data_type_name(q)) + (per_axis ? " per-axis" : " per-tensor") +
                     (with_zero_point ? "" : " without zero point"));
        const float lo = q == DataType::kInt8 ? -128.f : 0.f;
        const Tensor x = testing::random_tensor(q, kShape, lo, lo + 255.f, 11);
        const Params p = params_for(q, per_axis);
        const Tensor scale = values(DataType::kFloat32, param_dims(per_axis),
                                    per_axis ? std::vector<float>{0.1f, 0.37f, 1.9f} : std::vector<float>{0.0173f});
        std::vector<Tensor> inputs = {x, scale};
        if (with_zero_point) inputs.push_back(values(q, param_dims(per_axis), p.zero_points));
        check(op_spec("DequantizeLinear"), inputs);
      }
}

// A 16-bit scale gives a 16-bit output: the float32 reference's result, rounded once.
TEST(QuantizeGpuTest, DequantizeLinearFloat16Scale) {
  KILN_REQUIRE_GPU();
  for (DataType real : {DataType::kFloat16, DataType::kBFloat16})
    for (bool per_axis : {false, true}) {
      SCOPED_TRACE(std::string(data_type_name(real)) + (per_axis ? " per-axis" : " per-tensor"));
      const Tensor x = testing::random_tensor(DataType::kInt8, kShape, -128.f, 127.f, 12);
      const Params p = params_for(DataType::kInt8, per_axis);
      const Tensor scale = values(real, param_dims(per_axis),
                                  per_axis ? std::vector<float>{0.1f, 0.37f, 1.9f} : std::vector<float>{0.0173f});
      const Tensor zero_point = values(DataType::kInt8, param_dims(per_axis), p.zero_points);
      const NodeSpec ns = op_spec("DequantizeLinear", 1, 19);
      auto expected = testing::run_node(ns, {x, testing::convert(scale, DataType::kFloat32), zero_point});
      ASSERT_TRUE(expected.ok()) << expected.status().to_string();
      // Both sides round the same float product to nearest even; the margin only guards the test.
      check_against(ns, {x, scale, zero_point}, {testing::convert((*expected)[0], real)}, {}, 1e-3);
    }
}

TEST(QuantizeGpuTest, DynamicQuantizeLinear) {
  KILN_REQUIRE_GPU();
  struct Case {
    std::vector<int64_t> dims;
    float lo, hi;
  };
  // Mixed signs, all positive (min is 0), all negative (max is 0), odd sizes, and sizes that use
  // many partial blocks (more than the 1024 the first pass may use, too).
  const std::vector<Case> cases = {{{3, 7, 11}, -3.f, 5.f},    {{3, 7, 11}, 0.5f, 4.f},  {{5, 13}, -6.f, -0.25f},
                                   {{1000, 37}, -1.f, 9.f}, {{1, 1}, 2.f, 3.f},      {{(1 << 21) + 4093}, -7.f, 2.f}};
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.dims.size() << "-D of " << c.dims[0] << "..., [" << c.lo << ", " << c.hi << ")");
    check(op_spec("DynamicQuantizeLinear", 3, 11), {testing::random_float(c.dims, 21, c.lo, c.hi)});
  }
}

// 16-bit input: the float32 reference on the same values.
TEST(QuantizeGpuTest, DynamicQuantizeLinear16BitInput) {
  KILN_REQUIRE_GPU();
  for (DataType real : {DataType::kFloat16, DataType::kBFloat16}) {
    SCOPED_TRACE(data_type_name(real));
    const Tensor x = testing::convert(testing::random_float({17, 29}, 22, -2.f, 6.f), real);
    const NodeSpec ns = op_spec("DynamicQuantizeLinear", 3, 11);
    auto expected = testing::run_node(ns, {testing::convert(x, DataType::kFloat32)});
    ASSERT_TRUE(expected.ok()) << expected.status().to_string();
    check_against(ns, {x}, *expected);
  }
}

// Types and layouts the provider does not take are refused with a reason.
TEST(QuantizeGpuTest, UnsupportedCases) {
  const cuda::TacticProvider& provider = cuda::quantize::quantize_provider();
  auto refused = [&](const NodeSpec& ns, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs) {
    auto layer = make_layer(ns, inputs);
    const Status s = provider.supports(spec_for(*layer, inputs, outputs, {}));
    EXPECT_EQ(s.code(), StatusCode::kUnsupported) << ns.op_type << ": " << s.to_string();
  };
  const Tensor scale = values(DataType::kFloat32, {}, {0.5f});
  // float64 data to quantize
  refused(op_spec("QuantizeLinear"), {Tensor(DataType::kFloat64, kShape), scale, Tensor(DataType::kUInt8, {})},
          {Tensor(DataType::kUInt8, kShape)});
  // int32 data to dequantize
  refused(op_spec("DequantizeLinear"), {Tensor(DataType::kInt32, kShape), scale}, {Tensor(DataType::kFloat32, kShape)});
  // float64 scale
  refused(op_spec("DequantizeLinear"), {Tensor(DataType::kInt8, kShape), Tensor(DataType::kFloat64, {})},
          {Tensor(DataType::kFloat64, kShape)});
  // float64 dynamic input
  refused(op_spec("DynamicQuantizeLinear", 3, 11), {Tensor(DataType::kFloat64, kShape)},
          {Tensor(DataType::kUInt8, kShape), Tensor(DataType::kFloat32, {}), Tensor(DataType::kUInt8, {})});
  // a 2-D scale
  refused(op_spec("QuantizeLinear"), {Tensor(DataType::kFloat32, kShape), Tensor(DataType::kFloat32, {3, 1})},
          {Tensor(DataType::kUInt8, kShape)});
}

// --- The vector tactic (16 elements per thread) ----------------------------------------------

// A shape, the quantization axis, whether the parameters are per-axis, and whether the vector
// tactic takes it (16 | element count and, per axis, 16 | inner size or the innermost axis with
// 16 | its size) or only the scalar one does.
struct VectorCase {
  std::vector<int64_t> dims;
  int64_t axis;
  bool per_axis;
  bool vectorized;
};

const std::vector<VectorCase> kVectorCases = {
    {{2, 7, 9, 16}, 1, false, true},   // per-tensor, 2016 elements
    {{3, 5, 7}, 1, false, false},      // per-tensor, 105 elements
    {{2, 5, 3, 32}, 3, true, true},    // channels-last per-channel: consecutive parameters
    {{2, 5, 3, 48}, -1, true, true},   // the same, axis counted from the end
    {{2, 5, 3, 24}, 3, true, false},   // 24 channels innermost (720 elements, a multiple of 16)
    {{2, 3, 4, 8}, 1, true, true},     // axis 1, inner 32: one parameter per vector
    {{2, 3, 5, 5}, 1, true, false},    // axis 1, inner 25
};

std::string describe(const VectorCase& c) {
  ::testing::Message m;
  m << "dims";
  for (int64_t d : c.dims) m << ' ' << d;
  if (c.per_axis) m << ", per axis " << c.axis;
  else m << ", per tensor";
  return m.GetString();
}

// Where axis `axis` of `dims` puts its parameters: element i reads (i / inner) % size.
struct AxisOf {
  int64_t inner = 1, size = 1;
};
AxisOf axis_of(const VectorCase& c) {
  const int64_t rank = static_cast<int64_t>(c.dims.size());
  const int64_t axis = c.axis < 0 ? c.axis + rank : c.axis;
  AxisOf a;
  if (!c.per_axis) return a;
  a.size = c.dims[static_cast<size_t>(axis)];
  for (int64_t d = axis + 1; d < rank; ++d) a.inner *= c.dims[static_cast<size_t>(d)];
  return a;
}

// Scales that are powers of two (so ties stay ties) and zero points that differ by channel.
Params vector_params(DataType q, int64_t count) {
  Params p;
  for (int64_t c = 0; c < count; ++c) {
    p.scales.push_back(std::ldexp(1.f, static_cast<int>(c % 5) - 2));
    p.zero_points.push_back(static_cast<float>(q == DataType::kInt8 ? c % 11 - 5 : 100 + c % 13));
  }
  return p;
}

// Random values of which every third is an exact tie or out of range, as quantize_input.
Tensor vector_input(const VectorCase& c, const Params& p, unsigned seed) {
  Tensor x = testing::random_float(c.dims, seed, -300.f, 300.f);
  const std::vector<float> special = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 127.5f, -128.5f, 255.5f, 1000.f, -1000.f};
  const AxisOf a = axis_of(c);
  for (int64_t i = 0; i < x.numel(); i += 3)
    x.data<float>()[i] = special[static_cast<size_t>(i / 3) % special.size()] *
                         p.scales[static_cast<size_t>((i / a.inner) % a.size)];
  return x;
}

NodeSpec op_on_axis(std::string op, int64_t axis) {
  NodeSpec ns = op_spec(std::move(op), 1, 19);
  ns.attrs.insert_or_assign("axis", Attribute::of_int(axis));
  return ns;
}

// Runs every tactic of the layer: each must match `expected` (floats within `float_tolerance`)
// and kiln_quantize's scalar tactic byte for byte; the vector tactic must be offered exactly when
// `vectorized`.
void check_vector_tactic(const NodeSpec& ns, const std::vector<Tensor>& inputs, const std::vector<Tensor>& expected,
                         bool vectorized, double float_tolerance) {
  auto layer = make_layer(ns, inputs);
  const cuda::LayerSpec spec = spec_for(*layer, inputs, expected, {});
  auto runs = testing::run_all_tactics(spec, inputs);
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  const testing::TacticRun* scalar = nullptr;
  const testing::TacticRun* vector = nullptr;
  for (const testing::TacticRun& run : *runs) {
    if (run.provider != kProvider) continue;
    const bool is_vector = run.tactic.size() > 4 && run.tactic.substr(run.tactic.size() - 4) == "_v16";
    (is_vector ? vector : scalar) = &run;
    ASSERT_EQ(run.outputs.size(), expected.size());
    expect_matches(run.outputs[0], expected[0], float_tolerance, run.tactic);
  }
  ASSERT_NE(scalar, nullptr) << kProvider << " did not run its scalar tactic";
  EXPECT_EQ(vector != nullptr, vectorized) << "the vector tactic " << (vectorized ? "is missing" : "was offered");
  if (vector != nullptr) expect_matches(vector->outputs[0], scalar->outputs[0], 0.0, vector->tactic + " vs " + scalar->tactic);
}

TEST(QuantizeGpuTest, QuantizeLinearVectorTactic) {
  KILN_REQUIRE_GPU();
  for (const VectorCase& c : kVectorCases)
    for (DataType real : {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16})
      for (DataType q : {DataType::kInt8, DataType::kUInt8}) {
        SCOPED_TRACE(describe(c) + ", " + std::string(data_type_name(real)) + " to " + std::string(data_type_name(q)));
        const AxisOf a = axis_of(c);
        const Params p = vector_params(q, a.size);
        const std::vector<int64_t> param_dims = c.per_axis ? std::vector<int64_t>{a.size} : std::vector<int64_t>{};
        const Tensor x32 = vector_input(c, p, 41);
        const Tensor x = real == DataType::kFloat32 ? x32 : testing::convert(x32, real);
        const std::vector<Tensor> inputs = {x, values(real, param_dims, p.scales), values(q, param_dims, p.zero_points)};
        const NodeSpec ns = op_on_axis("QuantizeLinear", c.axis);
        auto expected = testing::run_node(ns, inputs);
        ASSERT_TRUE(expected.ok()) << expected.status().to_string();
        check_vector_tactic(ns, inputs, *expected, c.vectorized, 0.0);
      }
}

TEST(QuantizeGpuTest, QuantizeLinearToFloat8E4M3VectorTactic) {
  KILN_REQUIRE_GPU();
  for (const VectorCase& c : kVectorCases) {
    SCOPED_TRACE(describe(c));
    const AxisOf a = axis_of(c);
    const Params p = vector_params(DataType::kInt8, a.size);
    const std::vector<int64_t> param_dims = c.per_axis ? std::vector<int64_t>{a.size} : std::vector<int64_t>{};
    const std::vector<Tensor> inputs = {testing::convert(vector_input(c, p, 42), DataType::kFloat16),
                                        values(DataType::kFloat32, param_dims, p.scales)};
    const NodeSpec ns = op_on_axis("QuantizeLinear", c.axis);
    auto expected = testing::run_node(ns, {testing::convert(inputs[0], DataType::kFloat32), inputs[1],
                                           Tensor(DataType::kFloat8E4M3, param_dims)});
    ASSERT_TRUE(expected.ok()) << expected.status().to_string();
    check_vector_tactic(op_on_axis("QuantizeLinear", c.axis), inputs, *expected, c.vectorized, 0.0);
  }
}

// float32 scales: the reference's float product exactly; float16 scales: that product rounded
// once (the margin only guards the test; the vector and scalar tactics must still agree exactly).
TEST(QuantizeGpuTest, DequantizeLinearVectorTactic) {
  KILN_REQUIRE_GPU();
  for (const VectorCase& c : kVectorCases)
    for (DataType scale_type : {DataType::kFloat32, DataType::kFloat16})
      for (DataType q : {DataType::kInt8, DataType::kUInt8}) {
        SCOPED_TRACE(describe(c) + ", " + std::string(data_type_name(q)) + " to " + std::string(data_type_name(scale_type)));
        const AxisOf a = axis_of(c);
        const Params p = vector_params(q, a.size);
        const std::vector<int64_t> param_dims = c.per_axis ? std::vector<int64_t>{a.size} : std::vector<int64_t>{};
        const float lo = q == DataType::kInt8 ? -128.f : 0.f;
        const Tensor x = testing::random_tensor(q, c.dims, lo, lo + 255.f, 43);
        Tensor scale = testing::random_float(param_dims, 44, 0.01f, 2.f);
        if (scale_type != DataType::kFloat32) scale = testing::convert(scale, scale_type);
        const Tensor zero_point = values(q, param_dims, p.zero_points);
        const NodeSpec ns = op_on_axis("DequantizeLinear", c.axis);
        auto expected = testing::run_node(ns, {x, testing::convert(scale, DataType::kFloat32), zero_point});
        ASSERT_TRUE(expected.ok()) << expected.status().to_string();
        const bool exact = scale_type == DataType::kFloat32;
        check_vector_tactic(ns, {x, scale, zero_point}, {exact ? (*expected)[0] : testing::convert((*expected)[0], scale_type)},
                            c.vectorized, exact ? 0.0 : 1e-3);
      }
}

// Which tactics the provider offers (no GPU needed): the vector one only where the shape allows.
TEST(QuantizeGpuTest, VectorTacticNames) {
  const cuda::TacticProvider& provider = cuda::quantize::quantize_provider();
  auto names = [&](const NodeSpec& ns, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs) {
    auto layer = make_layer(ns, inputs);
    auto tactics = provider.tactics(spec_for(*layer, inputs, outputs, {}), cuda::DeviceContext{});
    EXPECT_TRUE(tactics.ok()) << tactics.status().to_string();
    std::vector<std::string> out;
    if (tactics.ok())
      for (const cuda::Tactic& t : *tactics) out.push_back(t.name + "#" + std::to_string(t.id));
    return out;
  };
  const Tensor half_scale = values(DataType::kFloat16, {}, {0.5f});
  const Tensor zero_point = values(DataType::kInt8, {}, {0.f});
  const Tensor x = testing::convert(testing::random_float({2, 8, 8, 64}, 45), DataType::kFloat16);
  EXPECT_EQ(names(op_spec("QuantizeLinear", 1, 19), {x, half_scale, zero_point}, {Tensor(DataType::kInt8, x.dims())}),
            (std::vector<std::string>{"kiln_quantize_linear_fp16_fp16_i8#0", "kiln_quantize_linear_fp16_fp16_i8_v16#1"}));
  const Tensor odd = testing::convert(testing::random_float({3, 5, 7}, 46), DataType::kFloat16);
  EXPECT_EQ(names(op_spec("QuantizeLinear", 1, 19), {odd, half_scale, zero_point}, {Tensor(DataType::kInt8, odd.dims())}),
            (std::vector<std::string>{"kiln_quantize_linear_fp16_fp16_i8#0"}));
  const Tensor q = testing::random_tensor(DataType::kInt8, {2, 8, 8, 64}, -128.f, 127.f, 47);
  EXPECT_EQ(names(op_spec("DequantizeLinear", 1, 19), {q, half_scale, zero_point}, {Tensor(DataType::kFloat16, q.dims())}),
            (std::vector<std::string>{"kiln_dequantize_linear_i8_fp16#0", "kiln_dequantize_linear_i8_fp16_v16#1"}));
  const Tensor f = testing::random_float({2, 8, 8, 64}, 48);
  EXPECT_EQ(names(op_spec("DynamicQuantizeLinear", 3, 11), {f},
                  {Tensor(DataType::kUInt8, f.dims()), Tensor(DataType::kFloat32, {}), Tensor(DataType::kUInt8, {})}),
            (std::vector<std::string>{"kiln_dynamic_quantize_linear_fp32#0"}));
}

// FP8: byte-exact against the reference (round to nearest even, saturation to +-448), with ties
// between E4M3 neighbours, subnormals, out-of-range values and 16-bit inputs; the zero point is a
// constant float8e4m3 0.
TEST(QuantizeGpuTest, QuantizeLinearToFloat8E4M3) {
  KILN_REQUIRE_GPU();
  const std::vector<float> special = {1.0625f, 1.1875f, -1.3125f, 0.0009765625f, 0.0029296875f, 240.f, 464.f,
                                      1e6f,    -500.f,  0.f,      -0.f,          0.001f,        3.75f, 100.5f};
  for (DataType real : {DataType::kFloat32, DataType::kFloat16})
    for (bool per_axis : {false, true}) {
      SCOPED_TRACE(std::string(data_type_name(real)) + (per_axis ? " per-axis" : " per-tensor"));
      const std::vector<float> scales = per_axis ? std::vector<float>{1.f, 0.5f, 2.f} : std::vector<float>{0.25f};
      Tensor x = testing::random_float(kShape, 31, -600.f, 600.f);
      const int64_t inner = kShape[2] * kShape[3];
      for (int64_t i = 0; i < x.numel(); i += 2)
        x.data<float>()[i] = special[static_cast<size_t>(i / 2) % special.size()] *
                             scales[per_axis ? static_cast<size_t>((i / inner) % kShape[1]) : 0];
      x = real == DataType::kFloat32 ? x : testing::convert(x, real);
      const Tensor x_f32 = testing::convert(x, DataType::kFloat32);
      const Tensor scale = values(DataType::kFloat32, param_dims(per_axis), scales);
      const Tensor zero_point(DataType::kFloat8E4M3, param_dims(per_axis));
      const NodeSpec ns = op_spec("QuantizeLinear", 1, 19);
      auto expected = testing::run_node(ns, {x_f32, scale, zero_point});
      ASSERT_TRUE(expected.ok()) << expected.status().to_string();
      check_against(ns, {x, scale, zero_point}, *expected, {1, 2});
    }
}

TEST(QuantizeGpuTest, DequantizeLinearFromFloat8E4M3) {
  KILN_REQUIRE_GPU();
  for (bool per_axis : {false, true}) {
    SCOPED_TRACE(per_axis ? "per-axis" : "per-tensor");
    const Tensor x = testing::random_e4m3(kShape, 32);
    const Tensor scale = values(DataType::kFloat32, param_dims(per_axis),
                                per_axis ? std::vector<float>{0.1f, 0.37f, 1.9f} : std::vector<float>{0.0173f});
    check(op_spec("DequantizeLinear", 1, 19), {x, scale, Tensor(DataType::kFloat8E4M3, param_dims(per_axis))}, {1, 2});
  }
}

// The kernels do not read a float8e4m3 zero point, so one that is not a constant is refused.
TEST(QuantizeGpuTest, Float8ZeroPointMustBeAConstant) {
  const std::vector<Tensor> inputs = {testing::random_float(kShape, 33), values(DataType::kFloat32, {}, {0.5f}),
                                      Tensor(DataType::kFloat8E4M3, {})};
  auto layer = make_layer(op_spec("QuantizeLinear", 1, 19), inputs);
  const Status s = cuda::quantize::quantize_provider().supports(
      spec_for(*layer, inputs, {Tensor(DataType::kFloat8E4M3, kShape)}, {1}));
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  EXPECT_NE(s.message().find("constant"), std::string::npos) << s.to_string();
}

}  // namespace
}  // namespace kiln
