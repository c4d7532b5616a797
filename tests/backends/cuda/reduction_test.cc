// Kiln's reduction-family CUDA kernels (src/backends/cuda/kernels/reduce/) against the
// reference kernels: the Reduce ops, ArgMax/ArgMin, the softmax family, the normalizations,
// the pools (NCHW and channels-last; kiln.QGlobalAveragePool too) and CumSum, in every dtype they
// claim.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/layer_kernel.h"
#include "gpu_layer_runner.h"
#include "ir/ops/fused_ops.h"
#include "gtest/gtest.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::NodeSpec;

NodeSpec node_spec(std::string op, std::map<std::string, Attribute> attrs, int outputs, int opset) {
  NodeSpec s;
  s.op_type = std::move(op);
  s.attrs = std::move(attrs);
  s.num_outputs = outputs;
  s.opset = opset;
  return s;
}

// A node with its schema set and defaults filled, wired like testing::run_node wires it.
struct BuiltNode {
  std::unique_ptr<Graph> graph = std::make_unique<Graph>();
  Node* node = nullptr;
};

BuiltNode build_node(const NodeSpec& ns, const std::vector<Tensor>& inputs) {
  BuiltNode b;
  b.node = b.graph->add_node(ns.op_type, ns.op_type, ns.domain, ns.opset);
  const OpSchema* schema = OpRegistry::global().find(ns.op_type, ns.domain);
  EXPECT_NE(schema, nullptr) << ns.op_type;
  b.node->set_schema(schema);
  for (size_t i = 0; i < inputs.size(); ++i)
    b.node->inputs().push_back(inputs[i].defined() ? b.graph->get_or_add_value("in" + std::to_string(i)) : nullptr);
  for (int i = 0; i < ns.num_outputs; ++i) b.node->outputs().push_back(b.graph->get_or_add_value("out" + std::to_string(i)));
  b.node->attrs() = ns.attrs;
  if (schema != nullptr) {
    const Status s = schema->check_and_fill_defaults(*b.node);
    EXPECT_TRUE(s.ok()) << s.to_string();
  }
  return b;
}

double tolerance(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat16: return 1e-2;
    case DataType::kBFloat16: return 2e-2;
    case DataType::kFloat32:
    case DataType::kFloat64: return 1e-5;
    default: return 0;  // integers: exact
  }
}

// One layer to check: float32 inputs (integer-valued where an integer dtype runs), and how
// the GPU run differs from the reference run.
struct Case {
  NodeSpec node;
  std::vector<Tensor> inputs;
  std::vector<int> constant_inputs;  // passed as host constants, never converted (axes)
  std::vector<int> float32_outputs;  // stay float32 whatever the dtype (LayerNorm statistics)
  bool nhwc = false;                 // channels-last layer: input 0 and every output
};

// Runs the case with every GPU tactic in `dtype` and compares each output with the reference
// run on the same (rounded) values. Expects at least one Kiln tactic to run.
void expect_gpu_matches(const Case& c, DataType dtype) {
  SCOPED_TRACE(c.node.op_type + " in " + std::string(data_type_name(dtype)) + (c.nhwc ? " (NHWC)" : ""));
  auto is_constant = [&](size_t i) { return std::count(c.constant_inputs.begin(), c.constant_inputs.end(), static_cast<int>(i)) > 0; };
  std::vector<Tensor> reference_inputs, gpu_inputs;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const Tensor& x = c.inputs[i];
    if (!x.defined() || is_constant(i) || x.dtype() != DataType::kFloat32) {
      reference_inputs.push_back(x);
      gpu_inputs.push_back(x);
      continue;
    }
    Tensor g = testing::convert(x, dtype);
    reference_inputs.push_back(testing::convert(g, DataType::kFloat32));
    gpu_inputs.push_back(c.nhwc && i == 0 ? testing::to_channels_last(g) : g);
  }
  auto expected = testing::run_node(c.node, reference_inputs);
  ASSERT_TRUE(expected.ok()) << expected.status().to_string();

  std::vector<std::vector<int64_t>> out_dims;
  std::vector<DataType> out_dtypes;
  for (size_t i = 0; i < expected->size(); ++i) {
    const Tensor& e = (*expected)[i];
    out_dims.push_back(c.nhwc ? testing::to_channels_last(e).dims() : e.dims());
    const bool keep = e.dtype() != DataType::kFloat32 ||
                      std::count(c.float32_outputs.begin(), c.float32_outputs.end(), static_cast<int>(i)) > 0;
    out_dtypes.push_back(keep ? e.dtype() : dtype);
  }
  BuiltNode built = build_node(c.node, gpu_inputs);
  cuda::LayerSpec spec = testing::make_spec(*built.node, gpu_inputs, out_dims, out_dtypes, c.constant_inputs);
  if (c.nhwc) {
    spec.channels_last = true;
    spec.input_nhwc = {true};
  }
  auto runs = testing::run_all_tactics(spec, gpu_inputs);
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  bool kiln_ran = false;
  for (const testing::TacticRun& run : *runs) {
    kiln_ran |= run.provider.rfind("kiln_", 0) == 0;
    ASSERT_EQ(run.outputs.size(), expected->size()) << run.tactic;
    for (size_t i = 0; i < run.outputs.size(); ++i) {
      const Tensor got = c.nhwc ? testing::from_channels_last(run.outputs[i]) : run.outputs[i];
      const Tensor& want = (*expected)[i];
      // Float results within the dtype's tolerance (float32 statistics too); integers exact.
      const double tol = is_floating(want.dtype()) ? tolerance(dtype) : 0.0;
      EXPECT_LE(testing::relative_error(got, want), tol) << run.tactic << " output " << i;
    }
  }
  EXPECT_TRUE(kiln_ran) << "no Kiln tactic supports the layer";
}

Tensor int64_tensor(std::vector<int64_t> values) {
  const int64_t n = static_cast<int64_t>(values.size());
  return testing::make_tensor<int64_t>(DataType::kInt64, {n}, values);
}

Tensor uniform(std::vector<int64_t> dims, float lo, float hi, unsigned seed = 7) {
  return testing::random_tensor(DataType::kFloat32, std::move(dims), lo, hi, seed);
}

// Integer values in [lo, hi], held as float32: ties for ArgMax, exact sums for integer dtypes.
Tensor integers(std::vector<int64_t> dims, float lo, float hi, unsigned seed = 11) {
  Tensor t = uniform(std::move(dims), lo, hi, seed);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = std::round(t.data<float>()[i]);
  return t;
}

constexpr DataType kFloatDtypes[] = {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16};

// --- Reduce ops ---------------------------------------------------------------------------

struct ReduceOp {
  const char* name;
  float lo, hi;  // input range: positive for LogSum, near 1 for Prod
};
constexpr ReduceOp kReduceOps[] = {
    {"ReduceSum", -1, 1},       {"ReduceMean", -1, 1}, {"ReduceMax", -1, 1},        {"ReduceMin", -1, 1},
    {"ReduceProd", 0.9f, 1.1f}, {"ReduceL1", -1, 1},   {"ReduceL2", -1, 1},         {"ReduceLogSum", 0.5f, 1.5f},
    {"ReduceLogSumExp", -2, 2}, {"ReduceSumSquare", -1, 1},
};

// Axes as the constant second input (opset 18; ReduceSum's since 13).
Case reduce_case(const char* op, Tensor x, std::vector<int64_t> axes, int64_t keepdims) {
  Case c;
  c.node = node_spec(op, {{"keepdims", Attribute::of_int(keepdims)}}, 1, 18);
  c.inputs = {std::move(x), int64_tensor(std::move(axes))};
  c.constant_inputs = {1};
  return c;
}

TEST(ReductionGpuTest, EveryReduceOpOverAxisSets) {
  KILN_REQUIRE_GPU();
  const std::vector<std::vector<int64_t>> axis_sets = {{0}, {1, 3}, {-1}, {}};
  for (const ReduceOp& op : kReduceOps)
    for (const auto& axes : axis_sets)
      for (int64_t keepdims : {0, 1})
        for (DataType dtype : kFloatDtypes) {
          SCOPED_TRACE("axes size " + std::to_string(axes.size()) + " keepdims " + std::to_string(keepdims));
          expect_gpu_matches(reduce_case(op.name, uniform({3, 5, 7, 9}, op.lo, op.hi), axes, keepdims), dtype);
        }
}

TEST(ReductionGpuTest, ReduceLongRowsAndFloat64) {
  KILN_REQUIRE_GPU();
  // Long contiguous groups (many warps per group) and long strided ones (split columns).
  for (const char* op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceLogSumExp"}) {
    expect_gpu_matches(reduce_case(op, uniform({6, 5000}, -1, 1), {1}, 0), DataType::kFloat32);
    expect_gpu_matches(reduce_case(op, uniform({3000, 37}, -1, 1), {0}, 1), DataType::kFloat16);
    expect_gpu_matches(reduce_case(op, uniform({4, 6, 10}, -1, 1), {0, 2}, 0), DataType::kFloat64);
  }
}

TEST(ReductionGpuTest, ReduceIntegers) {
  KILN_REQUIRE_GPU();
  for (DataType dtype : {DataType::kInt32, DataType::kInt64}) {
    for (const char* op : {"ReduceSum", "ReduceMax", "ReduceMin"})
      for (const auto& axes : std::vector<std::vector<int64_t>>{{0}, {1, 3}, {}})
        expect_gpu_matches(reduce_case(op, integers({3, 5, 7, 9}, -50, 50), axes, 1), dtype);
    // Values 1 and 2 over 9 elements: no zeros, no overflow.
    expect_gpu_matches(reduce_case("ReduceProd", integers({3, 5, 7, 9}, 1, 2), {3}, 0), dtype);
  }
}

TEST(ReductionGpuTest, AxesAttributeBeforeOpset18) {
  KILN_REQUIRE_GPU();
  Case c;
  c.node = node_spec("ReduceMean", {{"axes", Attribute::of_ints({2, 3})}, {"keepdims", Attribute::of_int(1)}}, 1, 13);
  c.inputs = {uniform({2, 3, 11, 13}, -1, 1)};
  for (DataType dtype : kFloatDtypes) expect_gpu_matches(c, dtype);
}

TEST(ReductionGpuTest, EmptyAxesReduceAllOrNothing) {
  KILN_REQUIRE_GPU();
  for (int64_t noop : {0, 1}) {
    Case c = reduce_case("ReduceSum", uniform({4, 5, 6}, -1, 1), {}, 0);
    c.node.opset = 13;
    c.node.attrs["noop_with_empty_axes"] = Attribute::of_int(noop);
    expect_gpu_matches(c, DataType::kFloat16);
  }
}

TEST(ReductionGpuTest, ArgMaxArgMinWithTies) {
  KILN_REQUIRE_GPU();
  for (const char* op : {"ArgMax", "ArgMin"})
    for (int64_t axis : {1, -1})
      for (int64_t keepdims : {0, 1})
        for (int64_t last : {0, 1})
          for (DataType dtype : {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16, DataType::kInt32,
                                 DataType::kInt64}) {
            Case c;
            c.node = node_spec(op,
                              {{"axis", Attribute::of_int(axis)},
                               {"keepdims", Attribute::of_int(keepdims)},
                               {"select_last_index", Attribute::of_int(last)}},
                              1,
                              13);
            c.inputs = {integers({3, 37, 5, 41}, -3, 3)};  // many ties
            expect_gpu_matches(c, dtype);
          }
}

// --- Softmax family -------------------------------------------------------------------------

TEST(ReductionGpuTest, SoftmaxFamilyAxesAndOpsets) {
  KILN_REQUIRE_GPU();
  for (const char* op : {"Softmax", "LogSoftmax", "Hardmax"})
    for (int64_t axis : {-1, 1})
      for (int opset : {11, 13})
        for (DataType dtype : kFloatDtypes) {
          SCOPED_TRACE("axis " + std::to_string(axis) + " opset " + std::to_string(opset));
          Case c;
          c.node = node_spec(op, {{"axis", Attribute::of_int(axis)}}, 1, opset);
          c.inputs = {uniform({3, 5, 7, 9}, -4, 4)};
          expect_gpu_matches(c, dtype);
        }
}

TEST(ReductionGpuTest, SoftmaxLongRows) {
  KILN_REQUIRE_GPU();
  for (const char* op : {"Softmax", "LogSoftmax"})
    for (DataType dtype : kFloatDtypes) {
      Case last;
      last.node = node_spec(op, {{"axis", Attribute::of_int(-1)}}, 1, 13);
      last.inputs = {uniform({2, 3, 4097}, -8, 8)};
      expect_gpu_matches(last, dtype);
      Case strided;
      strided.node = node_spec(op, {{"axis", Attribute::of_int(0)}}, 1, 13);
      strided.inputs = {uniform({1500, 33}, -8, 8)};
      expect_gpu_matches(strided, dtype);
    }
}

// --- Normalizations -------------------------------------------------------------------------

TEST(ReductionGpuTest, LayerNormLastAxisOfTransformerActivations) {
  KILN_REQUIRE_GPU();
  Case c;
  c.node = node_spec("LayerNormalization", {{"axis", Attribute::of_int(-1)}, {"epsilon", Attribute::of_float(1e-6f)}}, 1, 17);
  c.inputs = {uniform({4, 197, 768}, -2, 3), uniform({768}, 0.5f, 1.5f, 8), uniform({768}, -1, 1, 9)};
  for (DataType dtype : kFloatDtypes) expect_gpu_matches(c, dtype);
}

TEST(ReductionGpuTest, LayerNormAxis1WithStatistics) {
  KILN_REQUIRE_GPU();
  Case c;
  c.node = node_spec("LayerNormalization", {{"axis", Attribute::of_int(1)}}, 3, 17);
  c.inputs = {uniform({3, 10, 17}, -1, 2), uniform({10, 17}, 0.5f, 1.5f, 8), Tensor()};
  c.float32_outputs = {1, 2};
  for (DataType dtype : kFloatDtypes) expect_gpu_matches(c, dtype);
}

TEST(ReductionGpuTest, BatchNormInferenceBothLayouts) {
  KILN_REQUIRE_GPU();
  Case c;
  c.node = node_spec("BatchNormalization", {{"epsilon", Attribute::of_float(1e-3f)}}, 1, 15);
  c.inputs = {uniform({2, 19, 7, 9}, -2, 2), uniform({19}, 0.5f, 1.5f, 2), uniform({19}, -1, 1, 3),
              uniform({19}, -0.5f, 0.5f, 4), uniform({19}, 0.5f, 2.f, 5)};
  for (bool nhwc : {false, true}) {
    c.nhwc = nhwc;
    for (DataType dtype : kFloatDtypes) expect_gpu_matches(c, dtype);
  }
}

TEST(ReductionGpuTest, InstanceMeanVarianceAndLpNormalization) {
  KILN_REQUIRE_GPU();
  for (DataType dtype : kFloatDtypes) {
    Case instance;
    instance.node = node_spec("InstanceNormalization", {}, 1, 6);
    instance.inputs = {uniform({2, 5, 7, 9}, -1, 2), uniform({5}, 0.5f, 1.5f, 2), uniform({5}, -1, 1, 3)};
    expect_gpu_matches(instance, dtype);
    Case mvn;
    mvn.node = node_spec("MeanVarianceNormalization", {}, 1, 13);
    mvn.inputs = {uniform({2, 5, 7, 9}, -1, 2)};
    expect_gpu_matches(mvn, dtype);
    for (int64_t p : {1, 2})
      for (int64_t axis : {1, -1}) {
        Case lp;
        lp.node = node_spec("LpNormalization", {{"axis", Attribute::of_int(axis)}, {"p", Attribute::of_int(p)}}, 1, 1);
        lp.inputs = {uniform({3, 5, 7, 9}, -1, 1)};
        expect_gpu_matches(lp, dtype);
      }
  }
}

TEST(ReductionGpuTest, LocalResponseNormalization) {
  KILN_REQUIRE_GPU();
  for (int64_t size : {3, 4})
    for (DataType dtype : kFloatDtypes) {
      Case c;
      c.node = node_spec("LRN", {{"size", Attribute::of_int(size)}, {"alpha", Attribute::of_float(0.01f)}}, 1, 13);
      c.inputs = {uniform({2, 11, 5, 7}, -2, 2)};
      expect_gpu_matches(c, dtype);
    }
}

// --- Pools ----------------------------------------------------------------------------------

Case pool_case(const char* op, std::vector<int64_t> x_dims, std::map<std::string, Attribute> attrs, bool nhwc, int opset = 19) {
  Case c;
  c.node = node_spec(op, std::move(attrs), 1, opset);
  c.inputs = {uniform(std::move(x_dims), -2, 2)};
  c.nhwc = nhwc;
  return c;
}

TEST(ReductionGpuTest, ResNetMaxPoolBothLayouts) {
  KILN_REQUIRE_GPU();
  const std::map<std::string, Attribute> attrs = {{"kernel_shape", Attribute::of_ints({3, 3})},
                                                  {"strides", Attribute::of_ints({2, 2})},
                                                  {"pads", Attribute::of_ints({1, 1, 1, 1})}};
  for (bool nhwc : {false, true})
    for (int64_t channels : {16, 5})  // vectorized and scalar channels-last paths
      for (DataType dtype : kFloatDtypes) expect_gpu_matches(pool_case("MaxPool", {2, channels, 17, 19}, attrs, nhwc), dtype);
}

// INT8 engines max-pool their quantized activations.
TEST(ReductionGpuTest, MaxPoolOfBytesBothLayouts) {
  KILN_REQUIRE_GPU();
  const std::map<std::string, Attribute> attrs = {{"kernel_shape", Attribute::of_ints({3, 3})},
                                                  {"strides", Attribute::of_ints({2, 2})},
                                                  {"pads", Attribute::of_ints({1, 1, 1, 1})}};
  for (bool nhwc : {false, true})
    for (int64_t channels : {32, 5})  // vectorized (16 bytes) and scalar channels-last paths
      for (DataType dtype : {DataType::kInt8, DataType::kUInt8}) {
        Case c = pool_case("MaxPool", {2, channels, 17, 19}, attrs, nhwc);
        c.inputs = {uniform({2, channels, 17, 19}, dtype == DataType::kInt8 ? -128 : 0, dtype == DataType::kInt8 ? 127 : 255)};
        expect_gpu_matches(c, dtype);
      }
}

// A channels-last MaxPool of `x_dims` (NCHW order) in `dtype` through kiln_pool's tactics: each
// output must equal the reference's on the same values byte for byte, and the vector tactic
// (16 bytes of channels per thread: "_v16" for bytes, "_v8" for float16) must be offered exactly
// when `vectorized`.
void expect_channels_last_max_pool_exact(const std::map<std::string, Attribute>& attrs, const std::vector<int64_t>& x_dims,
                                         DataType dtype, bool vectorized, unsigned seed) {
  SCOPED_TRACE(::testing::Message() << data_type_name(dtype) << " MaxPool of " << x_dims.size() - 2 << "-D, C " << x_dims[1]);
  const NodeSpec ns = node_spec("MaxPool", attrs, 1, 12);
  const Tensor values = dtype == DataType::kFloat16 ? testing::convert(uniform(x_dims, -2, 2, seed), dtype)
                        : dtype == DataType::kInt8  ? testing::convert(integers(x_dims, -128, 127, seed), dtype)
                                                    : testing::convert(integers(x_dims, 0, 255, seed), dtype);
  auto expected = testing::run_node(ns, {testing::convert(values, DataType::kFloat32)});
  ASSERT_TRUE(expected.ok()) << expected.status().to_string();
  const Tensor want = testing::to_channels_last(testing::convert((*expected)[0], dtype));
  const Tensor x = testing::to_channels_last(values);
  BuiltNode built = build_node(ns, {x});
  cuda::LayerSpec spec = testing::make_spec(*built.node, {x}, {want.dims()}, {dtype});
  spec.channels_last = true;
  spec.input_nhwc = {true};
  auto runs = testing::run_all_tactics(spec, {x});
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  const std::string vector_suffix = dtype == DataType::kFloat16 ? "_v8" : "_v16";
  int pool_runs = 0;
  bool vector_ran = false;
  for (const testing::TacticRun& run : *runs) {
    if (run.provider != "kiln_pool") continue;
    ++pool_runs;
    vector_ran |= run.tactic.size() > vector_suffix.size() &&
                  run.tactic.compare(run.tactic.size() - vector_suffix.size(), vector_suffix.size(), vector_suffix) == 0;
    ASSERT_EQ(run.outputs.size(), 1u) << run.tactic;
    const Tensor& got = run.outputs[0];
    ASSERT_EQ(got.dtype(), want.dtype()) << run.tactic;
    ASSERT_EQ(got.dims(), want.dims()) << run.tactic;
    EXPECT_EQ(std::memcmp(got.raw(), want.raw(), want.nbytes()), 0) << run.tactic << " differs from the reference";
  }
  EXPECT_EQ(pool_runs, vectorized ? 2 : 1);
  EXPECT_EQ(vector_ran, vectorized);
}

// The vector tactic of channels-last MaxPool (int8, uint8, float16) and the generic kernel it
// falls back to: channel counts that are multiples of the vector (64, 32; 24 for float16's 8
// lanes) or not (24 bytes, 5), and windows with pads, strides, dilations, ceil_mode, 1-D and 3-D.
TEST(ReductionGpuTest, ChannelsLastMaxPoolVectorTactic) {
  KILN_REQUIRE_GPU();
  const std::map<std::string, Attribute> resnet = {{"kernel_shape", Attribute::of_ints({3, 3})},
                                                   {"strides", Attribute::of_ints({2, 2})},
                                                   {"pads", Attribute::of_ints({1, 1, 1, 1})}};
  const std::map<std::string, Attribute> dilated = {{"kernel_shape", Attribute::of_ints({3, 2})},
                                                    {"strides", Attribute::of_ints({1, 2})},
                                                    {"dilations", Attribute::of_ints({2, 1})},
                                                    {"pads", Attribute::of_ints({2, 0, 1, 1})}};
  const std::map<std::string, Attribute> ceil_mode = {{"kernel_shape", Attribute::of_ints({3, 3})},
                                                 {"strides", Attribute::of_ints({2, 2})},
                                                 {"ceil_mode", Attribute::of_int(1)}};
  const std::map<std::string, Attribute> one_d = {{"kernel_shape", Attribute::of_ints({4})},
                                                  {"strides", Attribute::of_ints({3})},
                                                  {"pads", Attribute::of_ints({1, 2})}};
  const std::map<std::string, Attribute> three_d = {{"kernel_shape", Attribute::of_ints({2, 3, 3})},
                                                    {"strides", Attribute::of_ints({1, 2, 2})},
                                                    {"pads", Attribute::of_ints({0, 1, 1, 1, 1, 1})}};
  unsigned seed = 50;
  for (DataType dtype : {DataType::kInt8, DataType::kUInt8, DataType::kFloat16}) {
    const bool is_half = dtype == DataType::kFloat16;
    expect_channels_last_max_pool_exact(resnet, {3, 64, 28, 28}, dtype, true, ++seed);
    expect_channels_last_max_pool_exact(resnet, {2, 32, 17, 19}, dtype, true, ++seed);
    expect_channels_last_max_pool_exact(resnet, {2, 24, 17, 19}, dtype, is_half, ++seed);
    expect_channels_last_max_pool_exact(resnet, {2, 5, 17, 19}, dtype, false, ++seed);
    expect_channels_last_max_pool_exact(dilated, {2, 48, 13, 11}, dtype, true, ++seed);
    expect_channels_last_max_pool_exact(ceil_mode, {2, 16, 17, 20}, dtype, true, ++seed);
    expect_channels_last_max_pool_exact(one_d, {2, 16, 29}, dtype, true, ++seed);
    expect_channels_last_max_pool_exact(three_d, {1, 32, 5, 9, 7}, dtype, true, ++seed);
  }
}

TEST(ReductionGpuTest, AveragePoolPaddingCountAndCeilMode) {
  KILN_REQUIRE_GPU();
  for (int64_t count_pad : {0, 1})
    for (int64_t ceil_mode : {0, 1})
      for (bool nhwc : {false, true})
        for (DataType dtype : kFloatDtypes) {
          SCOPED_TRACE("count_include_pad " + std::to_string(count_pad) + " ceil_mode " + std::to_string(ceil_mode));
          const std::map<std::string, Attribute> attrs = {{"kernel_shape", Attribute::of_ints({3, 3})},
                                                          {"strides", Attribute::of_ints({2, 2})},
                                                          {"pads", Attribute::of_ints({1, 1, 1, 1})},
                                                          {"count_include_pad", Attribute::of_int(count_pad)},
                                                          {"ceil_mode", Attribute::of_int(ceil_mode)}};
          expect_gpu_matches(pool_case("AveragePool", {2, 24, 16, 13}, attrs, nhwc), dtype);
        }
}

TEST(ReductionGpuTest, PoolsWithAutoPadDilationsAndOtherRanks) {
  KILN_REQUIRE_GPU();
  for (DataType dtype : kFloatDtypes) {
    expect_gpu_matches(pool_case("MaxPool", {1, 8, 15, 15},
                                 {{"kernel_shape", Attribute::of_ints({3, 2})}, {"strides", Attribute::of_ints({2, 3})},
                                  {"auto_pad", Attribute::of_string("SAME_UPPER")}},
                                 true),
                       dtype);
    expect_gpu_matches(pool_case("AveragePool", {2, 3, 14, 12},
                                 {{"kernel_shape", Attribute::of_ints({2, 3})}, {"dilations", Attribute::of_ints({2, 2})},
                                  {"pads", Attribute::of_ints({1, 0, 2, 1})}},
                                 false),
                       dtype);
    expect_gpu_matches(pool_case("MaxPool", {2, 3, 29}, {{"kernel_shape", Attribute::of_ints({4})}, {"strides", Attribute::of_ints({3})}},
                                 false),
                       dtype);
    expect_gpu_matches(pool_case("AveragePool", {1, 3, 5, 9, 7},
                                 {{"kernel_shape", Attribute::of_ints({2, 3, 3})},
                                  {"pads", Attribute::of_ints({0, 1, 1, 1, 1, 1})}},
                                 false),
                       dtype);
  }
}

TEST(ReductionGpuTest, GlobalPoolsBothLayouts) {
  KILN_REQUIRE_GPU();
  for (const char* op : {"GlobalAveragePool", "GlobalMaxPool"})
    for (bool nhwc : {false, true})
      for (DataType dtype : kFloatDtypes) {
        expect_gpu_matches(pool_case(op, {2, 37, 7, 7}, {}, nhwc, 1), dtype);
        expect_gpu_matches(pool_case(op, {3, 5, 33, 31}, {}, nhwc, 1), dtype);
      }
}

// --- Global pools: the channels-last vector kernel ----------------------------------------------

// Channels per 16-byte vector of X's type: the "_v<lanes>" suffix of kiln_pool's vector tactic.
uint32_t vector_lanes_of(DataType x) {
  return x == DataType::kFloat32 ? 4 : x == DataType::kInt8 || x == DataType::kUInt8 ? 16 : 8;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// One global pool layer on the GPU: X (NCHW, host, in its GPU dtype) and its constant parameters.
struct GlobalPoolLayer {
  NodeSpec node;
  std::vector<Tensor> inputs;  // X first; the others (scale, zero point) are host constants
  Tensor want;                 // the reference's output, NCHW, float32
  DataType y_type = DataType::kFloat32;
  bool nhwc = true;
};

cuda::LayerSpec spec_of(const GlobalPoolLayer& l, const BuiltNode& built, const std::vector<Tensor>& gpu_inputs) {
  std::vector<int> constants;
  for (size_t i = 1; i < gpu_inputs.size(); ++i) constants.push_back(static_cast<int>(i));
  std::vector<int64_t> out_dims = l.want.dims();
  if (l.nhwc) out_dims = testing::to_channels_last(l.want).dims();
  cuda::LayerSpec spec = testing::make_spec(*built.node, gpu_inputs, {out_dims}, {l.y_type}, constants);
  spec.channels_last = l.nhwc;
  if (l.nhwc) {
    spec.input_nhwc.assign(gpu_inputs.size(), false);
    spec.input_nhwc[0] = true;
  }
  return spec;
}

// Runs `l` through every kiln_pool tactic: each output within the output type's tolerance of the
// reference, and the vector tactic offered exactly when `vectorized`.
void expect_global_pool_tactics(const GlobalPoolLayer& l, bool vectorized) {
  const Tensor& x = l.inputs[0];
  SCOPED_TRACE(::testing::Message() << l.node.op_type << " of " << data_type_name(x.dtype()) << " " << dims_to_string(x.dims())
                                    << " to " << data_type_name(l.y_type) << (l.nhwc ? " (NHWC)" : " (NCHW)"));
  std::vector<Tensor> gpu_inputs = l.inputs;
  if (l.nhwc) gpu_inputs[0] = testing::to_channels_last(x);
  BuiltNode built = build_node(l.node, gpu_inputs);
  const cuda::LayerSpec spec = spec_of(l, built, gpu_inputs);
  auto runs = testing::run_all_tactics(spec, gpu_inputs);
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  const std::string suffix = "_v" + std::to_string(vector_lanes_of(x.dtype()));
  int pool_runs = 0;
  bool vector_ran = false;
  for (const testing::TacticRun& run : *runs) {
    if (run.provider != "kiln_pool") continue;
    ++pool_runs;
    vector_ran |= ends_with(run.tactic, suffix);
    ASSERT_EQ(run.outputs.size(), 1u) << run.tactic;
    ASSERT_EQ(run.outputs[0].dtype(), l.y_type) << run.tactic;
    const Tensor got = l.nhwc ? testing::from_channels_last(run.outputs[0]) : run.outputs[0];
    EXPECT_LE(testing::relative_error(got, l.want), tolerance(l.y_type)) << run.tactic;
  }
  EXPECT_EQ(pool_runs, vectorized ? 2 : 1);
  EXPECT_EQ(vector_ran, vectorized);
}

// The float global pools: X in `dtype` (rounded from random floats), the reference on the same values.
GlobalPoolLayer float_global_pool(const char* op, std::vector<int64_t> dims, DataType dtype, unsigned seed) {
  GlobalPoolLayer l;
  l.node = node_spec(op, {}, 1, 1);
  const Tensor x = testing::convert(uniform(std::move(dims), -2, 2, seed), dtype);
  l.inputs = {x};
  auto want = testing::run_node(l.node, {testing::convert(x, DataType::kFloat32)});
  EXPECT_TRUE(want.ok()) << want.status().to_string();
  if (want.ok()) l.want = (*want)[0];
  l.y_type = dtype;
  return l;
}

// Shapes of ResNet's tail (7x7x2048 at batch 8), of an early stage (14x14, 56x56: the pixel
// split over blocks at small batch), channel counts the vector does not divide, 1-D and 3-D.
const std::vector<std::vector<int64_t>> kGlobalPoolShapes = {
    {8, 2048, 7, 7}, {5, 64, 14, 14}, {1, 64, 56, 56}, {3, 64, 56, 56},
    {2, 44, 7, 7},   {2, 37, 7, 7},   {2, 16, 3, 5, 4}, {4, 24, 9},
};

TEST(ReductionGpuTest, ChannelsLastGlobalPoolVectorTactic) {
  KILN_REQUIRE_GPU();
  unsigned seed = 100;
  for (const char* op : {"GlobalAveragePool", "GlobalMaxPool"})
    for (DataType dtype : kFloatDtypes)
      for (const auto& dims : kGlobalPoolShapes) {
        const GlobalPoolLayer l = float_global_pool(op, dims, dtype, ++seed);
        expect_global_pool_tactics(l, dims[1] % vector_lanes_of(dtype) == 0);
      }
}

// kiln.QGlobalAveragePool: int8 or uint8 X (with or without a zero point), a float Y.
GlobalPoolLayer dequantizing_pool(std::vector<int64_t> dims, DataType x_type, int zero_point, DataType y_type,
                                  unsigned seed) {
  GlobalPoolLayer l;
  const int64_t onnx_y = y_type == DataType::kFloat32 ? 1 : y_type == DataType::kFloat16 ? 10 : 16;
  l.node = NodeSpec{std::string(kQGlobalAveragePoolOp), {{"output_dtype", Attribute::of_int(onnx_y)}}, 1, 1,
                    std::string(kKilnDomain)};
  const bool int8 = x_type == DataType::kInt8;
  l.inputs = {testing::convert(integers(std::move(dims), int8 ? -128 : 0, int8 ? 127 : 255, seed), x_type),
              testing::make_tensor<float>(DataType::kFloat32, {}, {0.0123f})};
  if (zero_point != 0 || !int8) {
    Tensor zp(x_type, {});
    if (int8) *zp.data<int8_t>() = static_cast<int8_t>(zero_point);
    else *zp.data<uint8_t>() = static_cast<uint8_t>(zero_point);
    l.inputs.push_back(zp);
  }
  NodeSpec float_out = l.node;
  float_out.attrs["output_dtype"] = Attribute::of_int(1);
  auto want = testing::run_node(float_out, l.inputs);
  EXPECT_TRUE(want.ok()) << want.status().to_string();
  if (want.ok()) l.want = (*want)[0];
  l.y_type = y_type;
  return l;
}

TEST(ReductionGpuTest, DequantizingGlobalPoolBothTactics) {
  KILN_REQUIRE_GPU();
  const std::vector<std::vector<int64_t>> shapes = {
      {8, 2048, 7, 7}, {5, 64, 14, 14}, {1, 64, 56, 56}, {3, 32, 56, 56}, {2, 48, 7, 7},
      {2, 40, 7, 7},   {2, 5, 3, 3},    {2, 16, 3, 5, 4}, {4, 32, 9},
  };
  unsigned seed = 200;
  for (DataType y_type : kFloatDtypes)
    for (const auto& dims : shapes) {
      expect_global_pool_tactics(dequantizing_pool(dims, DataType::kInt8, 0, y_type, ++seed), dims[1] % 16 == 0);
      expect_global_pool_tactics(dequantizing_pool(dims, DataType::kUInt8, 128, y_type, ++seed), dims[1] % 16 == 0);
    }
  // A zero point on int8, and the NCHW layout (the reduction core only).
  expect_global_pool_tactics(dequantizing_pool({4, 64, 7, 7}, DataType::kInt8, -5, DataType::kFloat16, ++seed), true);
  GlobalPoolLayer nchw = dequantizing_pool({3, 48, 7, 7}, DataType::kInt8, 0, DataType::kFloat32, ++seed);
  nchw.nhwc = false;
  expect_global_pool_tactics(nchw, false);
}

const cuda::TacticProvider& provider_named(std::string_view name);

// The vector tactic's kernel given an X that is not 16-byte aligned (a view into a larger
// buffer) runs the generic kernel instead, with the same result.
TEST(ReductionGpuTest, GlobalPoolVectorTacticTakesUnalignedInput) {
  KILN_REQUIRE_GPU();
  const cuda::DeviceContext& dev = testing::test_device();
  const GlobalPoolLayer float_pool = float_global_pool("GlobalAveragePool", {2, 64, 7, 7}, DataType::kFloat16, 7);
  const GlobalPoolLayer int8_pool = dequantizing_pool({2, 64, 7, 7}, DataType::kInt8, 0, DataType::kFloat32, 8);
  for (const GlobalPoolLayer* l : {&float_pool, &int8_pool}) {
    std::vector<Tensor> gpu_inputs = l->inputs;
    gpu_inputs[0] = testing::to_channels_last(gpu_inputs[0]);
    BuiltNode built = build_node(l->node, gpu_inputs);
    const cuda::LayerSpec spec = spec_of(*l, built, gpu_inputs);
    const cuda::TacticProvider& pool = provider_named("kiln_pool");
    auto kernel = pool.create(spec, {"vector", 1}, dev);
    ASSERT_TRUE(kernel.ok()) << kernel.status().to_string();
    const Tensor& x = gpu_inputs[0];
    const size_t offset = x.dtype() == DataType::kFloat16 ? 2 : 1;  // one element
    auto x_buf = cuda::DeviceBuffer::allocate(x.nbytes() + 16);
    auto y_buf = cuda::DeviceBuffer::allocate(l->want.numel() * 4);
    auto ws = cuda::DeviceBuffer::allocate((*kernel)->workspace_bytes());
    ASSERT_TRUE(x_buf.ok() && y_buf.ok() && ws.ok());
    char* x_at = static_cast<char*>(x_buf->get()) + offset;
    ASSERT_EQ(cudaMemcpy(x_at, x.raw(), x.nbytes(), cudaMemcpyHostToDevice), cudaSuccess);
    std::vector<cuda::DeviceBuffer> params;
    std::vector<const void*> in{x_at};
    for (size_t i = 1; i < gpu_inputs.size(); ++i) {
      auto p = cuda::DeviceBuffer::upload(gpu_inputs[i].raw(), gpu_inputs[i].nbytes());
      ASSERT_TRUE(p.ok());
      in.push_back(p->get());
      params.push_back(std::move(*p));
    }
    const cuda::LaunchEnv env{nullptr, dev.cudnn, dev.cublaslt, ws->get(), ws->bytes()};
    const Status s = (*kernel)->enqueue(env, in, {y_buf->get()});
    ASSERT_TRUE(s.ok()) << s.to_string();
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    Tensor y(l->y_type, testing::to_channels_last(l->want).dims());
    ASSERT_EQ(cudaMemcpy(y.raw(), y_buf->get(), y.nbytes(), cudaMemcpyDeviceToHost), cudaSuccess);
    EXPECT_LE(testing::relative_error(testing::from_channels_last(y), l->want), tolerance(l->y_type));
  }
}

// --- CumSum ---------------------------------------------------------------------------------

TEST(ReductionGpuTest, CumSumExclusiveAndReverse) {
  KILN_REQUIRE_GPU();
  for (int64_t axis : {1, -1})
    for (int64_t exclusive : {0, 1})
      for (int64_t reverse : {0, 1})
        for (DataType dtype : {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16, DataType::kInt32}) {
          Case c;
          c.node = node_spec("CumSum", {{"exclusive", Attribute::of_int(exclusive)}, {"reverse", Attribute::of_int(reverse)}}, 1, 14);
          c.inputs = {integers({3, 11, 13}, -4, 4), int64_tensor({axis})};
          c.constant_inputs = {1};
          expect_gpu_matches(c, dtype);
        }
}

TEST(ReductionGpuTest, TopKWithTies) {
  KILN_REQUIRE_GPU();
  for (int64_t axis : {1, -1})
    for (int64_t largest : {0, 1})
      for (DataType dtype : {DataType::kFloat32, DataType::kFloat16, DataType::kBFloat16, DataType::kInt32}) {
        Case c;
        c.node = node_spec("TopK", {{"axis", Attribute::of_int(axis)}, {"largest", Attribute::of_int(largest)}}, 2, 11);
        c.inputs = {integers({3, 37, 41}, -9, 9), int64_tensor({5})};
        c.constant_inputs = {1};
        expect_gpu_matches(c, dtype);
      }
}

// --- What the providers refuse (no GPU needed) ------------------------------------------------

const cuda::TacticProvider& provider_named(std::string_view name) {
  for (const cuda::TacticProvider* p : cuda::all_providers())
    if (p->name() == name) return *p;
  ADD_FAILURE() << "no provider " << name;
  return *cuda::all_providers().front();
}

// The provider's answer for `ns` on `inputs` (outputs as the reference makes them).
struct Judged {
  BuiltNode built;
  std::vector<Tensor> inputs;  // the spec's host constants point here
  cuda::LayerSpec spec;
};
Judged judge(const NodeSpec& ns, const std::vector<Tensor>& inputs, const std::vector<int>& constant_inputs = {}) {
  Judged j;
  j.built = build_node(ns, inputs);
  j.inputs = inputs;
  auto expected = testing::run_node(ns, inputs);
  EXPECT_TRUE(expected.ok()) << expected.status().to_string();
  std::vector<std::vector<int64_t>> dims;
  std::vector<DataType> dtypes;
  if (expected.ok())
    for (const Tensor& t : *expected) {
      dims.push_back(t.dims());
      dtypes.push_back(t.dtype());
    }
  j.spec = testing::make_spec(*j.built.node, j.inputs, dims, dtypes, constant_inputs);
  return j;
}

void expect_unsupported(const cuda::TacticProvider& p, const cuda::LayerSpec& spec, const std::string& reason) {
  const Status s = p.supports(spec);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  EXPECT_NE(s.message().find(reason), std::string::npos) << s.message();
}

TEST(ReductionProvidersTest, RefuseWhatTheyCannotRun) {
  const Tensor x = uniform({2, 3, 8, 8}, -1, 1);
  {
    Judged j = judge(node_spec("MaxPool", {{"kernel_shape", Attribute::of_ints({2, 2})}}, 2, 12), {x});
    expect_unsupported(provider_named("kiln_pool"), j.spec, "Indices");
  }
  {
    Judged j = judge(node_spec("ReduceSum", {}, 1, 13), {x, int64_tensor({1})});  // axes not a constant
    expect_unsupported(provider_named("kiln_reduce"), j.spec, "not a constant");
  }
  {
    Judged j = judge(node_spec("ReduceL2", {}, 1, 18), {testing::convert(x, DataType::kInt32), int64_tensor({1})}, {1});
    expect_unsupported(provider_named("kiln_reduce"), j.spec, "int32");
  }
  {
    Judged j = judge(node_spec("LpNormalization", {{"p", Attribute::of_int(2)}}, 1, 1), {x});
    j.built.node->attrs()["p"] = Attribute::of_int(3);
    expect_unsupported(provider_named("kiln_norm"), j.spec, "p = 3");
  }
  {
    Judged j = judge(node_spec("Softmax", {}, 1, 13), {x});
    j.spec.channels_last = true;
    expect_unsupported(provider_named("kiln_softmax"), j.spec, "channels-last");
  }
  {
    Judged j = judge(node_spec("CumSum", {}, 1, 14), {x, int64_tensor({1})});
    expect_unsupported(provider_named("kiln_cumsum"), j.spec, "not a constant");
  }
}

// Global pools in channels-last layout: the reduction core, then the 16-byte vector kernel when
// C is a multiple of its lanes; its workspace holds the pixel splits' partial results.
TEST(ReductionProvidersTest, GlobalPoolVectorTacticsAndWorkspace) {
  const cuda::DeviceContext no_device;
  const cuda::TacticProvider& pool = provider_named("kiln_pool");
  auto nhwc = [](Judged& j, std::vector<int64_t> x_dims) {
    j.spec.channels_last = true;
    j.spec.input_nhwc.assign(j.spec.inputs.size(), false);
    j.spec.input_nhwc[0] = true;
    j.spec.inputs[0]->dims = x_dims;
    j.spec.outputs[0].dims = {x_dims[0], 1, 1, x_dims.back()};
  };
  auto names = [&](const cuda::LayerSpec& spec) {
    std::vector<std::string> out;
    auto tactics = pool.tactics(spec, no_device);
    EXPECT_TRUE(tactics.ok()) << tactics.status().to_string();
    if (tactics.ok())
      for (const cuda::Tactic& t : *tactics) out.push_back(t.name);
    return out;
  };
  auto workspace = [&](const cuda::LayerSpec& spec, int64_t id) -> size_t {
    auto kernel = pool.create(spec, {"", id}, no_device);
    EXPECT_TRUE(kernel.ok()) << kernel.status().to_string();
    return kernel.ok() ? (*kernel)->workspace_bytes() : 0;
  };
  const Tensor h = testing::convert(uniform({2, 8, 7, 7}, -1, 1), DataType::kFloat16);
  {
    Judged j = judge(node_spec("GlobalAveragePool", {}, 1, 1), {h});
    nhwc(j, {256, 7, 7, 2048});
    EXPECT_EQ(names(j.spec), (std::vector<std::string>{"kiln_globalavgpool_nhwc_fp16", "kiln_globalavgpool_nhwc_fp16_v8"}));
    EXPECT_EQ(workspace(j.spec, 1), 0u);  // 2048 blocks: no pixel split
    nhwc(j, {1, 56, 56, 64});
    EXPECT_GT(workspace(j.spec, 1), 0u);  // one image: its pixels split over blocks
    EXPECT_EQ(workspace(j.spec, 0), 0u);
    nhwc(j, {2, 7, 7, 44});  // 44 channels: no 8-lane vector
    EXPECT_EQ(names(j.spec), (std::vector<std::string>{"kiln_globalavgpool_nhwc_fp16"}));
  }
  {
    Judged j = judge(node_spec("GlobalMaxPool", {}, 1, 1), {uniform({2, 8, 7, 7}, -1, 1)});
    EXPECT_EQ(names(j.spec), (std::vector<std::string>{"kiln_globalmaxpool_nchw_fp32"}));
    nhwc(j, {2, 7, 7, 44});
    EXPECT_EQ(names(j.spec), (std::vector<std::string>{"kiln_globalmaxpool_nhwc_fp32", "kiln_globalmaxpool_nhwc_fp32_v4"}));
  }
  {
    const NodeSpec qpool{std::string(kQGlobalAveragePoolOp), {{"output_dtype", Attribute::of_int(10)}}, 1, 1,
                         std::string(kKilnDomain)};
    const Tensor x = testing::convert(integers({2, 8, 7, 7}, -128, 127), DataType::kInt8);
    const Tensor scale = testing::make_tensor<float>(DataType::kFloat32, {}, {0.05f});
    Judged j = judge(qpool, {x, scale}, {1});
    EXPECT_EQ(names(j.spec), (std::vector<std::string>{"kiln_qglobalavgpool_nchw_int8_to_fp16"}));
    nhwc(j, {256, 7, 7, 2048});
    EXPECT_EQ(names(j.spec),
              (std::vector<std::string>{"kiln_qglobalavgpool_nhwc_int8_to_fp16", "kiln_qglobalavgpool_nhwc_int8_to_fp16_v16"}));
    nhwc(j, {2, 7, 7, 48});  // three 16-byte vectors
    EXPECT_EQ(names(j.spec).size(), 2u);
    nhwc(j, {2, 7, 7, 40});  // 40 bytes: not a multiple of 16
    EXPECT_EQ(names(j.spec), (std::vector<std::string>{"kiln_qglobalavgpool_nhwc_int8_to_fp16"}));
    Judged variable = judge(qpool, {x, scale});  // the scale not a constant
    expect_unsupported(pool, variable.spec, "not a constant");
  }
}

TEST(ReductionProvidersTest, TacticNamesSayOpLayoutAndType) {
  const cuda::DeviceContext no_device;
  auto name_of = [&](std::string_view provider, const cuda::LayerSpec& spec) {
    auto tactics = provider_named(provider).tactics(spec, no_device);
    EXPECT_TRUE(tactics.ok()) << tactics.status().to_string();
    return tactics.ok() && !tactics->empty() ? tactics->front().name : std::string();
  };
  const Tensor x = uniform({2, 3, 8, 8}, -1, 1);
  {
    Judged j = judge(node_spec("ReduceMean", {}, 1, 18), {x, int64_tensor({2, 3})}, {1});
    EXPECT_EQ(name_of("kiln_reduce", j.spec), "kiln_reduce_mean_fp32");
  }
  {
    Judged j = judge(node_spec("Softmax", {}, 1, 13), {x});
    EXPECT_EQ(name_of("kiln_softmax", j.spec), "kiln_softmax_lastaxis_fp32");
    Judged k = judge(node_spec("LogSoftmax", {{"axis", Attribute::of_int(1)}}, 1, 13), {x});
    EXPECT_EQ(name_of("kiln_softmax", k.spec), "kiln_logsoftmax_strided_fp32");
  }
  {
    const Tensor h = testing::convert(x, DataType::kFloat16);
    Judged j = judge(node_spec("MaxPool", {{"kernel_shape", Attribute::of_ints({3, 3})}}, 1, 12), {h});
    j.spec.channels_last = true;
    j.spec.input_nhwc = {true};
    j.spec.inputs[0]->dims = testing::to_channels_last(h).dims();
    j.spec.outputs[0].dims = {2, 6, 6, 3};
    EXPECT_EQ(name_of("kiln_pool", j.spec), "kiln_maxpool_nhwc_fp16");
  }
  {
    // A channels-last int8 MaxPool with 64 channels: the generic kernel, then the vector one.
    Judged j = judge(node_spec("MaxPool", {{"kernel_shape", Attribute::of_ints({3, 3})}}, 1, 12), {uniform({2, 64, 8, 8}, -1, 1)});
    j.spec.channels_last = true;
    j.spec.input_nhwc = {true};
    j.spec.inputs[0]->dims = {2, 8, 8, 64};
    j.spec.inputs[0]->dtype = DataType::kInt8;
    j.spec.outputs[0].dims = {2, 6, 6, 64};
    j.spec.outputs[0].dtype = DataType::kInt8;
    auto tactics = provider_named("kiln_pool").tactics(j.spec, no_device);
    ASSERT_TRUE(tactics.ok()) << tactics.status().to_string();
    ASSERT_EQ(tactics->size(), 2u);
    EXPECT_EQ((*tactics)[0].name, "kiln_maxpool_nhwc_int8");
    EXPECT_EQ((*tactics)[1].name, "kiln_maxpool_nhwc_int8_v16");
    EXPECT_EQ((*tactics)[1].id, 1);
  }
}

}  // namespace
}  // namespace kiln
