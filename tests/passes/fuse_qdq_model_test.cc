// The QDQ network of tests/models/make_qdq_net.py, imported from ONNX: the level-3 pipeline makes
// its convolutions and its Gemm quantized layers, and the optimized engine computes what the
// unoptimized (fake-quant) one does.
#include <gtest/gtest.h>

#include <random>

#include "ir/ops/fused_ops.h"
#include "kiln/kiln.h"
#include "passes/pass_manager.h"
#include "passes/pass_test_util.h"

namespace kiln::testing {
namespace {

Expected<Tensor> run_engine(const Network& network, int level, const Tensor& x) {
  BuilderConfig config;
  config.optimization_level = level;
  KILN_ASSIGN_OR_RETURN(auto engine, Builder(config).build(network));
  KILN_ASSIGN_OR_RETURN(auto context, engine->create_context());
  KILN_RETURN_IF_ERROR(context->set_input("x", {x.dtype(), x.dims(), x.raw()}));
  KILN_RETURN_IF_ERROR(context->execute());
  KILN_ASSIGN_OR_RETURN(TensorView out, context->output("y"));
  Tensor y(out.dtype, out.dims);
  KILN_RETURN_IF_ERROR(copy_to_host(out, y.raw()));
  return y;
}

TEST(FuseQdqModel, ImportedQdqNetworkBecomesQuantizedLayers) {
  auto network = Network::from_onnx_file(KILN_QDQ_NET);
  ASSERT_TRUE(network.ok()) << network.status().to_string();
  std::unique_ptr<Graph> g = (*network)->graph().clone();
  PassOptions options;
  options.level = 3;
  auto report = optimize_graph(*g, options);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(count_ops(*g, "QConv"), 2) << dump_graph(*g);
  EXPECT_EQ(count_ops(*g, "QMatMul"), 1);
  EXPECT_EQ(count_ops(*g, "QuantizeLinear"), 1);  // the network input's
  EXPECT_EQ(count_ops(*g, "DequantizeLinear"), 0);
  EXPECT_EQ(count_ops(*g, "Conv") + count_ops(*g, "FusedConv") + count_ops(*g, "Gemm"), 0);
  ASSERT_NE(find_op(*g, "MaxPool"), nullptr);
  EXPECT_EQ(find_op(*g, "MaxPool")->input(0)->dtype(), DataType::kInt8);
  EXPECT_EQ(find_op(*g, "Flatten")->output(0)->dtype(), DataType::kInt8);
  for (const auto& n : g->nodes())
    if (n->op_type() == kQConvOp) {
      EXPECT_EQ(n->output(0)->dtype(), DataType::kInt8) << n->name();
      EXPECT_EQ(n->attr_string("activation"), "Relu") << n->name();
    }
  EXPECT_NE(find_op(*g, "QConv"), nullptr);
}

// Every scale is a power of two and each weight channel reaches |q| = 127 (see the script), so
// the pass's re-quantized weights and scales equal the model's, and the fake-quant graph's float
// sums are exact: nothing is rounded differently, so the outputs are equal, not just close.
TEST(FuseQdqModel, OptimizedEngineEqualsFakeQuantEngine) {
  auto network = Network::from_onnx_file(KILN_QDQ_NET);
  ASSERT_TRUE(network.ok()) << network.status().to_string();
  const Tensor x = random_float({1, 8, 16, 16}, 77);
  auto fake_quant = run_engine(**network, 0, x);
  auto optimized = run_engine(**network, 3, x);
  ASSERT_TRUE(fake_quant.ok()) << fake_quant.status().to_string();
  ASSERT_TRUE(optimized.ok()) << optimized.status().to_string();
  ASSERT_EQ(optimized->dims(), (std::vector<int64_t>{1, 10}));
  int distinct = 0;
  for (int64_t i = 0; i < 10; ++i) {
    EXPECT_EQ(optimized->data<float>()[i], fake_quant->data<float>()[i]) << "output " << i;
    distinct += i > 0 && fake_quant->data<float>()[i] != fake_quant->data<float>()[0];
  }
  EXPECT_GT(distinct, 5);  // not a constant output
}

}  // namespace
}  // namespace kiln::testing
