// INT8 with an accuracy budget, through the public Builder: a small conv net whose second
// activation has one huge channel (per-tensor min-max int8 then crushes its other channels).
#include "quantization/accuracy_budget.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "core/npy.h"
#include "ir/ops/fused_ops.h"
#include "plan/plan.h"
#include "testing/onnx_builder.h"
#include "testing/test_dir.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

std::vector<float> uniform(size_t n, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

Tensor random_samples(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Tensor t(DataType::kFloat32, {n, 4, 6, 6});
  const std::vector<float> v = uniform(static_cast<size_t>(t.numel()), rng, -1.f, 1.f);
  std::copy(v.begin(), v.end(), t.data<float>());
  return t;
}

// x [N,4,6,6] -> conv1 1x1 (channel 0's bias 500) -> relu 'r1' -> conv2 (ignores channel 0) ->
// relu 'r2' -> conv3 -> relu -> flatten -> matmul -> 'logits' [N,8]. Quantized activations: x,
// r1, r2 and the flattened one; r1 is the badly quantizable one. With `argmax_first`, output 0
// is the int64 argmax of the logits (and output 1 the logits).
std::string outlier_net(bool argmax_first = false) {
  std::mt19937 rng(7);
  testing::OnnxBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {-1, 4, 6, 6}, {"N"});
  std::vector<float> b1 = uniform(8, rng, -0.1f, 0.1f);
  b1[0] = 500.f;
  std::vector<float> w2 = uniform(64, rng, -0.5f, 0.5f);
  for (int k = 0; k < 8; ++k) w2[static_cast<size_t>(k * 8)] = 0.f;
  b.float_initializer("w1", {8, 4, 1, 1}, uniform(32, rng, -1.f, 1.f))
      .float_initializer("b1", {8}, b1)
      .float_initializer("w2", {8, 8, 1, 1}, w2)
      .float_initializer("w3", {8, 8, 1, 1}, uniform(64, rng, -0.5f, 0.5f))
      .float_initializer("w4", {288, 8}, uniform(288 * 8, rng, -0.2f, 0.2f));
  b.node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1");
  b.node("Relu", {"c1"}, {"r1"}, "relu1");
  b.node("Conv", {"r1", "w2"}, {"c2"}, "conv2");
  b.node("Relu", {"c2"}, {"r2"}, "relu2");
  b.node("Conv", {"r2", "w3"}, {"c3"}, "conv3");
  b.node("Relu", {"c3"}, {"r3"}, "relu3");
  b.node("Flatten", {"r3"}, {"flat"}, "flatten");
  b.node("MatMul", {"flat", "w4"}, {"logits"}, "fc");
  if (argmax_first) {
    b.node("ArgMax", {"logits"}, {"class"}, "argmax");
    b.output("class", onnx::TensorProto::INT64);
  }
  b.output("logits");
  return b.bytes();
}

class AccuracyBudget : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::test_temp_dir("kiln_accuracy_budget_test");
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "calib");
    fs::create_directories(dir_ / "eval");
    ASSERT_TRUE(write_npy((dir_ / "calib" / "x.npy").string(), random_samples(64, 11)).ok());
    eval_ = random_samples(64, 12);
    ASSERT_TRUE(write_npy((dir_ / "eval" / "x.npy").string(), eval_).ok());
    const std::string bytes = outlier_net();
    auto network = Network::from_onnx_bytes(bytes.data(), bytes.size());
    ASSERT_TRUE(network.ok()) << network.status().to_string();
    network_ = std::move(*network);
  }
  void TearDown() override { fs::remove_all(dir_); }

  BuilderConfig config(double budget) const {
    BuilderConfig c;
    c.int8 = true;
    c.calibration.data_dir = (dir_ / "calib").string();
    c.calibration.method = CalibrationMethod::kMinMax;
    c.accuracy_budget.budget = budget;
    c.accuracy_budget.metric = AccuracyMetric::kRelL2;
    c.accuracy_budget.data_dir = (dir_ / "eval").string();
    return c;
  }

  struct Built {
    Tensor logits;         // on the evaluation samples
    int quantized_layers;  // kiln.QConv / kiln.QMatMul in the plan
    std::string report;
  };
  Built build(const BuilderConfig& c) {
    Builder builder(c);
    auto engine = builder.build(*network_);
    EXPECT_TRUE(engine.ok()) << engine.status().to_string();
    if (!engine.ok()) return {};
    auto context = (*engine)->create_context();
    EXPECT_TRUE((*context)->set_input("x", {eval_.dtype(), eval_.dims(), eval_.raw()}).ok());
    EXPECT_TRUE((*context)->execute().ok());
    auto out = (*context)->output("logits");
    Tensor logits(out->dtype, out->dims);
    std::copy_n(static_cast<const float*>(out->data), logits.numel(), logits.data<float>());
    auto bytes = (*engine)->serialize();
    auto plan = read_plan(bytes->data(), bytes->size(), std::nullopt);
    EXPECT_TRUE(plan.ok()) << plan.status().to_string();
    int quantized = 0;
    for (const auto& n : plan->graph->nodes())
      quantized += n->domain() == kKilnDomain && (n->op_type() == kQConvOp || n->op_type() == kQMatMulOp);
    return {logits, quantized, builder.report()};
  }

  // ||got - want|| / ||want||, computed here rather than by the metric under test.
  static double rel_l2(const Tensor& got, const Tensor& want) {
    double diff = 0, norm = 0;
    for (int64_t i = 0; i < want.numel(); ++i) {
      diff += std::pow(double{got.data<float>()[i]} - want.data<float>()[i], 2);
      norm += std::pow(double{want.data<float>()[i]}, 2);
    }
    return std::sqrt(diff / norm);
  }

  static int count(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }

  fs::path dir_;
  Tensor eval_;
  std::unique_ptr<Network> network_;
};

TEST_F(AccuracyBudget, KeepsExactlyTheOutlierActivationFloatAndMeetsTheBudget) {
  const Built fp32 = build(BuilderConfig{});
  const Built plain = build(config(1e9));  // no measurement can exceed it: nothing stays float
  const double budget = 0.1;
  const Built fitted = build(config(budget));
  EXPECT_GT(rel_l2(plain.logits, fp32.logits), budget) << "the net must need the budget";
  const double drop = rel_l2(fitted.logits, fp32.logits);
  EXPECT_LE(drop, budget) << fitted.report;
  EXPECT_GT(drop, 0.0) << "the other activations stay quantized";
  EXPECT_EQ(count(fitted.report, "  float: "), 1) << fitted.report;
  EXPECT_NE(fitted.report.find("  float: 'r1' (read by "), std::string::npos) << fitted.report;
  EXPECT_NE(fitted.report.find("1 of 4 activation(s) kept float"), std::string::npos) << fitted.report;
  EXPECT_EQ(fitted.quantized_layers, plain.quantized_layers - 1);
  // The reported drop is the engine's (4 significant digits).
  const size_t at = fitted.report.find("measured drop ");
  ASSERT_NE(at, std::string::npos);
  EXPECT_NEAR(std::stod(fitted.report.substr(at + 14)), drop, 1e-3 * drop) << fitted.report;
}

TEST_F(AccuracyBudget, HugeBudgetKeepsNothingFloat) {
  const Built fitted = build(config(1e9));
  BuilderConfig unbudgeted = config(-1);
  const Built plain = build(unbudgeted);
  EXPECT_EQ(plain.quantized_layers, 4);
  EXPECT_EQ(fitted.quantized_layers, 4);
  EXPECT_EQ(count(fitted.report, "  float: "), 0) << fitted.report;
  EXPECT_NE(fitted.report.find("0 of 4 activation(s) kept float"), std::string::npos) << fitted.report;
  EXPECT_EQ(rel_l2(fitted.logits, plain.logits), 0.0);
}

TEST_F(AccuracyBudget, ZeroBudgetKeepsEverythingFloat) {
  const Built fp32 = build(BuilderConfig{});
  const Built fitted = build(config(0));
  EXPECT_EQ(fitted.quantized_layers, 0);
  EXPECT_EQ(count(fitted.report, "  float: "), 4) << fitted.report;
  EXPECT_NE(fitted.report.find("the result is all float"), std::string::npos) << fitted.report;
  EXPECT_EQ(rel_l2(fitted.logits, fp32.logits), 0.0);
}

TEST_F(AccuracyBudget, ErrorsNameWhatIsWrong) {
  auto error_of = [&](const BuilderConfig& c, const Network& network) {
    auto engine = Builder(c).build(network);
    EXPECT_FALSE(engine.ok());
    return engine.ok() ? std::string() : engine.status().message();
  };
  BuilderConfig no_int8 = config(0.01);
  no_int8.int8 = false;
  EXPECT_NE(error_of(no_int8, *network_).find("quantized builds (--int8 or --fp8)"), std::string::npos);
  BuilderConfig no_eval = config(0.01);
  no_eval.accuracy_budget.data_dir.clear();
  EXPECT_NE(error_of(no_eval, *network_).find("evaluation data"), std::string::npos);
  // Samples of another shape: the message names the input.
  fs::create_directories(dir_ / "wrong");
  Tensor wrong(DataType::kFloat32, {2, 4, 5, 5});
  for (int64_t i = 0; i < wrong.numel(); ++i) wrong.data<float>()[i] = static_cast<float>(i % 7) * 0.1f;
  ASSERT_TRUE(write_npy((dir_ / "wrong" / "x.npy").string(), wrong).ok());
  BuilderConfig wrong_shape = config(0.01);
  wrong_shape.accuracy_budget.data_dir = (dir_ / "wrong").string();
  const std::string shape_error = error_of(wrong_shape, *network_);
  EXPECT_NE(shape_error.find("evaluation data"), std::string::npos) << shape_error;
  EXPECT_NE(shape_error.find("input 'x'"), std::string::npos) << shape_error;
  // Output 0 must be float.
  const std::string bytes = outlier_net(/*argmax_first=*/true);
  auto argmax_first = Network::from_onnx_bytes(bytes.data(), bytes.size());
  ASSERT_TRUE(argmax_first.ok()) << argmax_first.status().to_string();
  const std::string dtype_error = error_of(config(0.01), **argmax_first);
  EXPECT_NE(dtype_error.find("output 0 'class' is int64"), std::string::npos) << dtype_error;
}

}  // namespace
}  // namespace kiln
