// The cuBLASLt GEMM provider: every tactic of MatMul, Gemm and kiln.FusedMatMul against the
// reference kernels, in float32 (TF32 off and on), float16 and bfloat16; the batch plans it makes
// and the layers it refuses (these run without a GPU).
#include <map>

#include "backends/cuda/cublaslt/gemm_shape.h"
#include "backends/cuda/cuda_check.h"
#include "gpu_layer_runner.h"
#include "gtest/gtest.h"
#include "ir/ops/fused_ops.h"
#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::NodeSpec;
using testing::random_float;

const cuda::TacticProvider& provider() { return *cuda::cublaslt_providers().at(0); }

// A node wired as run_node wires it (schema set, defaults filled), kept alive for the LayerSpec
// that points at it.
class TestLayer {
 public:
  TestLayer(const NodeSpec& spec, const std::vector<Tensor>& inputs) {
    node_ = graph_.add_node(spec.op_type, spec.op_type, spec.domain, spec.opset);
    const OpSchema* schema = OpRegistry::global().find(spec.op_type, spec.domain);
    node_->set_schema(schema);
    for (size_t i = 0; i < inputs.size(); ++i)
      node_->inputs().push_back(inputs[i].defined() ? graph_.get_or_add_value("in" + std::to_string(i)) : nullptr);
    node_->outputs().push_back(graph_.get_or_add_value("out"));
    node_->attrs() = spec.attrs;
    status_ = schema == nullptr ? Status(StatusCode::kNotFound, "no schema") : schema->check_and_fill_defaults(*node_);
  }
  const Node& node() const { return *node_; }
  const Status& status() const { return status_; }

 private:
  Graph graph_;
  Node* node_ = nullptr;
  Status status_;
};

struct Precision {
  const char* name;
  DataType dtype;
  bool tf32;
  double tolerance;
};

constexpr Precision kPrecisions[] = {
    {"fp32", DataType::kFloat32, false, 1e-5},
    {"tf32", DataType::kFloat32, true, 3e-3},
    {"fp16", DataType::kFloat16, false, 1e-2},
    {"bf16", DataType::kBFloat16, false, 2e-2},
};

// Runs the layer on `inputs` (float32; undefined for absent ones) in each precision through every
// tactic of every supporting provider, and compares each with the reference kernel run in float32
// on the same (rounded) input values. The cuBLASLt provider must be among them.
void expect_all_tactics_match_reference(const NodeSpec& node_spec, const std::vector<Tensor>& inputs) {
  std::map<DataType, Tensor> expected_by_dtype;
  for (const Precision& p : kPrecisions) {
    SCOPED_TRACE(p.name);
    std::vector<Tensor> typed, rounded;
    for (const Tensor& x : inputs) {
      typed.push_back(x.defined() ? testing::convert(x, p.dtype) : Tensor());
      rounded.push_back(x.defined() ? testing::convert(typed.back(), DataType::kFloat32) : Tensor());
    }
    if (!expected_by_dtype.count(p.dtype)) {
      auto reference = testing::run_node(node_spec, rounded);
      ASSERT_TRUE(reference.ok()) << reference.status().to_string();
      expected_by_dtype[p.dtype] = (*reference)[0];
    }
    const Tensor& expected = expected_by_dtype[p.dtype];
    TestLayer layer(node_spec, typed);
    ASSERT_TRUE(layer.status().ok()) << layer.status().to_string();
    cuda::LayerSpec spec = testing::make_spec(layer.node(), typed, {expected.dims()}, {p.dtype});
    spec.allow_tf32 = p.tf32;
    const Status supported = provider().supports(spec);
    ASSERT_TRUE(supported.ok()) << supported.to_string();
    auto runs = testing::run_all_tactics(spec, typed);
    ASSERT_TRUE(runs.ok()) << runs.status().to_string();
    int cublaslt_runs = 0;
    for (const testing::TacticRun& run : *runs) {
      if (run.provider == provider().name()) ++cublaslt_runs;
      EXPECT_LE(testing::relative_error(run.outputs[0], expected), p.tolerance) << run.provider << " " << run.tactic;
    }
    EXPECT_GT(cublaslt_runs, 0);
  }
}

NodeSpec matmul() { return {"MatMul", {}, 1, 17, ""}; }

NodeSpec gemm(int trans_a, int trans_b, float alpha = 1.f, float beta = 1.f) {
  return {"Gemm",
          {{"transA", Attribute::of_int(trans_a)},
           {"transB", Attribute::of_int(trans_b)},
           {"alpha", Attribute::of_float(alpha)},
           {"beta", Attribute::of_float(beta)}},
          1, 17, ""};
}

NodeSpec fused_matmul(const std::string& activation, float alpha = 0.f, float beta = 0.f, bool gated = false) {
  return {std::string(kFusedMatMulOp),
          {{"activation", Attribute::of_string(activation)},
           {"activation_alpha", Attribute::of_float(alpha)},
           {"activation_beta", Attribute::of_float(beta)},
           {"activation_gated", Attribute::of_int(gated ? 1 : 0)}},
          1, 1, std::string(kKilnDomain)};
}

// --- MatMul ---

TEST(CublasLtMatMulTest, TwoDimensionalOddSizes) {
  KILN_REQUIRE_GPU();
  expect_all_tactics_match_reference(matmul(), {random_float({37, 53}, 1), random_float({53, 29}, 2)});
}

TEST(CublasLtMatMulTest, Batched3D) {
  KILN_REQUIRE_GPU();
  expect_all_tactics_match_reference(matmul(), {random_float({3, 37, 53}, 3), random_float({3, 53, 29}, 4)});
}

TEST(CublasLtMatMulTest, Broadcast4DNeedsSeveralCalls) {
  KILN_REQUIRE_GPU();
  expect_all_tactics_match_reference(matmul(), {random_float({2, 1, 5, 8}, 5), random_float({3, 8, 6}, 6)});
}

TEST(CublasLtMatMulTest, SharedABroadcastOverBatchOfB) {
  KILN_REQUIRE_GPU();
  expect_all_tactics_match_reference(matmul(), {random_float({37, 53}, 7), random_float({2, 3, 53, 29}, 8)});
}

TEST(CublasLtMatMulTest, VectorByMatrix) {
  KILN_REQUIRE_GPU();
  expect_all_tactics_match_reference(matmul(), {random_float({53}, 9), random_float({53, 29}, 10)});
}

TEST(CublasLtMatMulTest, MatrixByVector) {
  KILN_REQUIRE_GPU();
  expect_all_tactics_match_reference(matmul(), {random_float({37, 53}, 11), random_float({53}, 12)});
}

TEST(CublasLtMatMulTest, BatchByVector) {
  KILN_REQUIRE_GPU();
  expect_all_tactics_match_reference(matmul(), {random_float({3, 37, 53}, 13), random_float({53}, 14)});
}

TEST(CublasLtMatMulTest, VitProjectionShape) {
  KILN_REQUIRE_GPU();
  expect_all_tactics_match_reference(matmul(), {random_float({4, 197, 768}, 15), random_float({768, 2304}, 16)});
}

// --- Gemm ---

TEST(CublasLtGemmTest, EveryTransposeWithoutC) {
  KILN_REQUIRE_GPU();
  for (int trans_a = 0; trans_a <= 1; ++trans_a) {
    for (int trans_b = 0; trans_b <= 1; ++trans_b) {
      SCOPED_TRACE("transA " + std::to_string(trans_a) + " transB " + std::to_string(trans_b));
      const std::vector<int64_t> a = trans_a ? std::vector<int64_t>{53, 37} : std::vector<int64_t>{37, 53};
      const std::vector<int64_t> b = trans_b ? std::vector<int64_t>{29, 53} : std::vector<int64_t>{53, 29};
      expect_all_tactics_match_reference(gemm(trans_a, trans_b, 0.5f), {random_float(a, 17), random_float(b, 18)});
    }
  }
}

TEST(CublasLtGemmTest, RowCScaledIsBroadcastIntoY) {
  KILN_REQUIRE_GPU();
  expect_all_tactics_match_reference(gemm(0, 1, 0.5f, 2.f),
                                     {random_float({37, 53}, 19), random_float({29, 53}, 20), random_float({29}, 21)});
}

TEST(CublasLtGemmTest, RowCUnscaledIsTheBiasEpilogue) {
  KILN_REQUIRE_GPU();
  expect_all_tactics_match_reference(gemm(0, 1, 0.5f, 1.f),
                                     {random_float({37, 53}, 22), random_float({29, 53}, 23), random_float({29}, 24)});
}

TEST(CublasLtGemmTest, ColumnC) {
  KILN_REQUIRE_GPU();
  expect_all_tactics_match_reference(gemm(1, 0, 0.5f, 2.f), {random_float({53, 37}, 25), random_float({53, 29}, 26),
                                                             random_float({37, 1}, 27)});
}

TEST(CublasLtGemmTest, ScalarC) {
  KILN_REQUIRE_GPU();
  expect_all_tactics_match_reference(gemm(0, 0, 0.5f, 2.f),
                                     {random_float({37, 53}, 28), random_float({53, 29}, 29), random_float({}, 30)});
}

TEST(CublasLtGemmTest, FullC) {
  KILN_REQUIRE_GPU();
  expect_all_tactics_match_reference(gemm(1, 1, 0.5f, 2.f), {random_float({53, 37}, 31), random_float({29, 53}, 32),
                                                             random_float({37, 29}, 33)});
}

// --- FusedMatMul ---

TEST(CublasLtFusedMatMulTest, BiasRelu) {
  KILN_REQUIRE_GPU();
  expect_all_tactics_match_reference(fused_matmul("Relu"), {random_float({3, 37, 53}, 34), random_float({53, 29}, 35),
                                                            random_float({29}, 36)});
}

TEST(CublasLtFusedMatMulTest, BiasExactGelu) {
  KILN_REQUIRE_GPU();
  expect_all_tactics_match_reference(fused_matmul("Gelu"), {random_float({37, 53}, 37), random_float({53, 29}, 38),
                                                            random_float({29}, 39, -2.f, 2.f)});
}

TEST(CublasLtFusedMatMulTest, ResidualTanh) {
  KILN_REQUIRE_GPU();
  expect_all_tactics_match_reference(fused_matmul("Tanh"), {random_float({2, 37, 53}, 40), random_float({2, 53, 29}, 41),
                                                            Tensor(), random_float({2, 37, 29}, 42)});
}

TEST(CublasLtFusedMatMulTest, BiasResidualSiluOnBroadcastBatch) {
  KILN_REQUIRE_GPU();
  expect_all_tactics_match_reference(fused_matmul("Sigmoid", 0.f, 0.f, /*gated=*/true),
                                     {random_float({2, 1, 5, 8}, 43), random_float({3, 8, 6}, 44),
                                      random_float({6}, 45), random_float({2, 3, 5, 6}, 46)});
}

TEST(CublasLtFusedMatMulTest, OtherActivations) {
  KILN_REQUIRE_GPU();
  const NodeSpec activations[] = {fused_matmul("Clip", 0.f, 0.5f), fused_matmul("LeakyRelu", 0.1f),
                                  fused_matmul("HardSigmoid", 0.2f, 0.5f), fused_matmul("HardSwish"),
                                  fused_matmul("Sigmoid"), fused_matmul("Relu", 0.f, 0.f, /*gated=*/true)};
  for (const NodeSpec& spec : activations) {
    SCOPED_TRACE(spec.attrs.at("activation").s);
    expect_all_tactics_match_reference(spec, {random_float({37, 53}, 47), random_float({53, 29}, 48),
                                              random_float({29}, 49)});
  }
}

// --- A tactic captured into a CUDA graph computes what it computes when launched directly ---

TEST(CublasLtCaptureTest, EveryTacticCapturesIntoCudaGraph) {
  KILN_REQUIRE_GPU();
  struct Layer {
    const char* name;
    NodeSpec spec;
    std::vector<Tensor> inputs;
  };
  // Several calls, bias, residual and Kiln's activation kernel; Gemm's broadcast of C into Y.
  const Layer layers[] = {
      {"fused", fused_matmul("Sigmoid", 0.f, 0.f, /*gated=*/true),
       {random_float({2, 1, 5, 8}, 50), random_float({3, 8, 6}, 51), random_float({6}, 52),
        random_float({2, 3, 5, 6}, 53)}},
      {"gemm", gemm(0, 0, 0.5f, 2.f), {random_float({37, 53}, 54), random_float({53, 29}, 55), random_float({37, 1}, 56)}},
  };
  for (const Layer& l : layers) {
    SCOPED_TRACE(l.name);
    std::vector<Tensor> typed;
    for (const Tensor& x : l.inputs) typed.push_back(testing::convert(x, DataType::kFloat16));
    std::vector<Tensor> rounded;
    for (const Tensor& x : typed) rounded.push_back(testing::convert(x, DataType::kFloat32));
    auto expected = testing::run_node(l.spec, rounded);
    ASSERT_TRUE(expected.ok()) << expected.status().to_string();
    TestLayer layer(l.spec, typed);
    ASSERT_TRUE(layer.status().ok()) << layer.status().to_string();
    const cuda::LayerSpec spec = testing::make_spec(layer.node(), typed, {(*expected)[0].dims()}, {DataType::kFloat16});
    auto tactics = provider().tactics(spec, testing::test_device());
    ASSERT_TRUE(tactics.ok()) << tactics.status().to_string();
    ASSERT_FALSE(tactics->empty());
    for (const cuda::Tactic& tactic : *tactics) {
      auto run = testing::run_direct_and_captured(provider(), tactic, spec, typed);
      ASSERT_TRUE(run.ok()) << tactic.name << ": " << run.status().to_string();
      EXPECT_EQ(std::memcmp(run->direct.raw(), run->replayed.raw(), run->direct.nbytes()), 0) << tactic.name;
      EXPECT_LE(testing::relative_error(run->replayed, (*expected)[0]), 1e-2) << tactic.name;
    }
  }
}

// --- What the provider refuses (no GPU needed) ---

Status supports(const NodeSpec& node_spec, const std::vector<Tensor>& inputs, const std::vector<int64_t>& y_dims,
                DataType y_dtype, bool channels_last = false) {
  TestLayer layer(node_spec, inputs);
  KILN_RETURN_IF_ERROR(layer.status());
  cuda::LayerSpec spec = testing::make_spec(layer.node(), inputs, {y_dims}, {y_dtype});
  spec.channels_last = channels_last;
  return provider().supports(spec);
}

TEST(CublasLtSupportsTest, RefusesInt32WithAReason) {
  const Status s = supports(matmul(), {testing::random_tensor(DataType::kInt32, {4, 8}), testing::random_tensor(DataType::kInt32, {8, 3})},
                            {4, 3}, DataType::kInt32);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("int32"), std::string::npos) << s.message();
}

TEST(CublasLtSupportsTest, RefusesChannelsLast) {
  const Status s = supports(matmul(), {random_float({4, 8}, 1), random_float({8, 3}, 2)}, {4, 3}, DataType::kFloat32,
                            /*channels_last=*/true);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
}

TEST(CublasLtSupportsTest, RefusesActivationWithoutKernel) {
  const Status s = supports(fused_matmul("Softsign"), {random_float({4, 8}, 1), random_float({8, 3}, 2)}, {4, 3},
                            DataType::kFloat32);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
}

TEST(CublasLtSupportsTest, AcceptsTheLayersItRuns) {
  EXPECT_TRUE(supports(matmul(), {random_float({2, 4, 8}, 1), random_float({8, 3}, 2)}, {2, 4, 3}, DataType::kFloat32).ok());
  EXPECT_TRUE(supports(gemm(0, 1, 1.f, 2.f), {random_float({4, 8}, 1), random_float({3, 8}, 2), random_float({4, 1}, 3)},
                       {4, 3}, DataType::kFloat32)
                  .ok());
}

// --- Batch plans ---

TEST(GemmShapeTest, ContiguousBatchTimesSharedBIsOneTallProduct) {
  auto shape = cuda::matmul_shape({4, 197, 768}, {768, 2304}, {4, 197, 2304});
  ASSERT_TRUE(shape.ok()) << shape.status().to_string();
  EXPECT_EQ(shape->m, 4 * 197);
  EXPECT_EQ(shape->batch, 1);
  EXPECT_EQ(shape->calls.size(), 1u);
}

TEST(GemmShapeTest, SharedAIsAZeroStride) {
  auto shape = cuda::matmul_shape({5, 8}, {2, 3, 8, 6}, {2, 3, 5, 6});
  ASSERT_TRUE(shape.ok()) << shape.status().to_string();
  EXPECT_EQ(shape->batch, 6);
  EXPECT_EQ(shape->stride_a, 0);
  EXPECT_EQ(shape->stride_b, 48);
  EXPECT_EQ(shape->stride_y, 30);
  EXPECT_EQ(shape->calls.size(), 1u);
}

TEST(GemmShapeTest, CrossBroadcastLoopsOverCalls) {
  auto shape = cuda::matmul_shape({2, 1, 5, 8}, {3, 8, 6}, {2, 3, 5, 6});
  ASSERT_TRUE(shape.ok()) << shape.status().to_string();
  EXPECT_EQ(shape->batch, 3);
  EXPECT_EQ(shape->stride_a, 0);
  EXPECT_EQ(shape->stride_b, 48);
  EXPECT_EQ(shape->stride_y, 30);
  ASSERT_EQ(shape->calls.size(), 2u);
  EXPECT_EQ(shape->calls[1].a, 40);
  EXPECT_EQ(shape->calls[1].b, 0);
  EXPECT_EQ(shape->calls[1].y, 90);
}

TEST(GemmShapeTest, VectorOperandsDropTheirAxis) {
  auto shape = cuda::matmul_shape({53}, {53, 29}, {29});
  ASSERT_TRUE(shape.ok()) << shape.status().to_string();
  EXPECT_EQ(shape->m, 1);
  EXPECT_EQ(shape->n, 29);
  EXPECT_FALSE(cuda::matmul_shape({37, 53}, {53}, {37, 1}).ok());
}

}  // namespace
}  // namespace kiln
