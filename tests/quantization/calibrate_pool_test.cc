// INT8 calibration of a global pool's input (a conv's output only the pool reads), and
// calibration caches made before Kiln quantized it: the pool's input then stays float.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/npy.h"
#include "passes/pass_test_util.h"
#include "quantization/calibrate.h"
#include "quantization/calibration_cache.h"
#include "testing/onnx_builder.h"
#include "testing/test_dir.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;
using testing::GraphBuilder;
using testing::ints;

class CalibratePool : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::test_temp_dir("kiln_calibrate_pool_test");
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
    ASSERT_TRUE(write_npy((dir_ / "data" / "x.npy").string(), testing::random_float({8, 4, 6, 6}, 3)).ok());
    // conv (+ relu) -> GlobalAveragePool -> Flatten -> MatMul, as ResNet ends.
    Value* x = b_.input("x", {2, 4, 6, 6});
    Value* c = b_.node("Conv", "conv", {x, b_.weights("w", {8, 4, 3, 3}), b_.weights("b", {8})}, {{"pads", ints({1, 1, 1, 1})}});
    Value* pooled = b_.node("GlobalAveragePool", "pool", {b_.node("Relu", "relu", {c})});
    b_.output(b_.node("MatMul", "fc", {b_.node("Flatten", "flatten", {pooled}), b_.weights("wfc", {8, 4})}));
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Graph> optimized() {
    std::unique_ptr<Graph> g = b_.graph().clone();
    EXPECT_TRUE(optimize_graph(*g, PassOptions{}).ok());
    return g;
  }
  CalibrationConfig config() const {
    CalibrationConfig c;
    c.data_dir = (dir_ / "data").string();
    c.cache_path = (dir_ / "scales.calib").string();
    return c;
  }
  static const Node* pool_of(const Graph& g) { return testing::find_op(g, "GlobalAveragePool"); }

  fs::path dir_;
  GraphBuilder b_;
};

TEST_F(CalibratePool, CalibratesThePoolInputAndReadsItBack) {
  std::unique_ptr<Graph> g = optimized();
  auto report = quantize_calibrated(*g, DataType::kInt8, config(), {});
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_NE(report->find("3 activation tensor(s) quantized"), std::string::npos) << *report;
  EXPECT_EQ(pool_of(*g)->input(0)->producer()->op_type(), "DequantizeLinear");
  auto cached = read_calibration_cache(config().cache_path, calibration_cache_header(config()));
  ASSERT_TRUE(cached.ok()) << cached.status().to_string();
  EXPECT_EQ(cached->size(), 3u);
  EXPECT_EQ(cached->count("relu.out"), 1u);

  std::unique_ptr<Graph> again = optimized();
  auto from_cache = quantize_calibrated(*again, DataType::kInt8, config(), {});
  ASSERT_TRUE(from_cache.ok()) << from_cache.status().to_string();
  EXPECT_NE(from_cache->find("3 activation tensor(s) quantized, scales from the cache"), std::string::npos) << *from_cache;
}

// A cache without the pool input's scale (made before Kiln quantized it) still builds: that
// tensor stays float, and the report and log say so.
TEST_F(CalibratePool, AnOlderCacheLeavesThePoolInputFloat) {
  ASSERT_TRUE(write_calibration_cache(config().cache_path, calibration_cache_header(config()),
                                      {{"x", 0.02f}, {"flatten.out", 0.01f}})
                  .ok());
  std::unique_ptr<Graph> g = optimized();
  std::string logged;
  auto report = quantize_calibrated(*g, DataType::kInt8, config(), [&](const std::string& line) { logged += line; });
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_NE(report->find("2 activation tensor(s) quantized"), std::string::npos) << *report;
  EXPECT_NE(report->find("no scale for 'relu.out' (a global pool's input): it stays float"), std::string::npos) << *report;
  EXPECT_NE(logged.find("no scale for 'relu.out'"), std::string::npos) << logged;
  EXPECT_EQ(pool_of(*g)->input(0)->name(), "relu.out");
  // The build's second pipeline run: the conv is quantized, its output float, the pool float.
  ASSERT_TRUE(optimize_graph(*g, PassOptions{}).ok());
  EXPECT_EQ(testing::count_ops(*g, "QConv"), 1);
  EXPECT_EQ(testing::count_ops(*g, "GlobalAveragePool"), 1);
  EXPECT_EQ(testing::count_ops(*g, "QGlobalAveragePool"), 0);
}

// Any other tensor missing from the cache is still an error naming it.
TEST_F(CalibratePool, ACacheMissingAnotherTensorIsAnError) {
  ASSERT_TRUE(write_calibration_cache(config().cache_path, calibration_cache_header(config()),
                                      {{"relu.out", 0.02f}, {"flatten.out", 0.01f}})
                  .ok());
  std::unique_ptr<Graph> g = optimized();
  auto report = quantize_calibrated(*g, DataType::kInt8, config(), {});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kNotFound) << report.status().to_string();
  EXPECT_NE(report.status().message().find("no scale for tensor 'x'"), std::string::npos) << report.status().to_string();
}


// The same network as an ONNX model through the Builder on the CPU: the INT8 engine's conv writes
// int8, its pool is kiln.QGlobalAveragePool, and it stays close to the float engine.
TEST_F(CalibratePool, Int8EngineRunsTheDequantizingPool) {
  testing::OnnxBuilder m(13);
  m.input("x", onnx::TensorProto::FLOAT, {2, 4, 6, 6});
  auto values = [](int64_t n, uint32_t seed) {
    const Tensor t = testing::random_float({n}, seed);
    return std::vector<float>(t.data<float>(), t.data<float>() + n);
  };
  m.float_initializer("w", {8, 4, 3, 3}, values(8 * 4 * 9, 1));
  m.float_initializer("b", {8}, values(8, 2));
  m.float_initializer("wfc", {8, 4}, values(32, 3));
  onnx::NodeProto& conv = m.node("Conv", {"x", "w", "b"}, {"conv"}, "conv");
  auto* pads = conv.add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (int i = 0; i < 4; ++i) pads->add_ints(1);
  m.node("Relu", {"conv"}, {"relu"}, "relu");
  m.node("GlobalAveragePool", {"relu"}, {"pool"}, "pool");
  m.node("Flatten", {"pool"}, {"flat"}, "flatten");
  m.node("MatMul", {"flat", "wfc"}, {"y"}, "fc");
  m.output("y");
  const std::string bytes = m.bytes();
  auto network = Network::from_onnx_bytes(bytes.data(), bytes.size());
  ASSERT_TRUE(network.ok()) << network.status().to_string();

  const Tensor x = testing::random_float({2, 4, 6, 6}, 9);
  auto run = [&](const BuilderConfig& config, std::string& report) -> Tensor {
    Builder builder(config);
    auto engine = builder.build(**network);
    EXPECT_TRUE(engine.ok()) << engine.status().to_string();
    if (!engine.ok()) return Tensor();
    report = builder.report();
    auto context = (*engine)->create_context();
    EXPECT_TRUE((*context)->set_input("x", {x.dtype(), x.dims(), x.raw()}).ok());
    EXPECT_TRUE((*context)->execute().ok());
    auto y = (*context)->output("y");
    EXPECT_TRUE(y.ok());
    Tensor out(y->dtype, y->dims);
    EXPECT_TRUE(copy_to_host(*y, out.raw()).ok());
    return out;
  };
  std::string float_report, int8_report;
  const Tensor want = run(BuilderConfig{}, float_report);
  BuilderConfig int8;
  int8.int8 = true;
  int8.calibration = config();
  const Tensor got = run(int8, int8_report);
  ASSERT_TRUE(want.defined() && got.defined());
  EXPECT_NE(int8_report.find("int8: 2 quantized layers (kiln.QConv/QMatMul), 1 dequantizing pools (kiln.QGlobalAveragePool)"),
            std::string::npos)
      << int8_report;
  EXPECT_LT(testing::max_relative_error({got}, {want}), 0.05);
}

}  // namespace
}  // namespace kiln
