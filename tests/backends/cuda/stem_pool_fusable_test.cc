// Which stems fuse_stem_max_pool joins with their pool on a 9.0 device (stem_pool_fusable), on
// INT8's RGB stem after channels-last lowering: ResNet's 7x7 stride-2 stem with ReLU and its
// 3x3 / 2 / 1 pool, and not the pairs the pooled kernel does not run. No GPU needed.
#include "backends/cuda/kernels/igemm/igemm_int8_stem_provider.h"

#include "builder/layout_assignment.h"
#include "builder/stem_pool_fusion.h"
#include "gtest/gtest.h"
#include "ir/ops/fused_ops.h"
#include "passes/qdq_test_util.h"

namespace kiln::testing {
namespace {

struct StemGraph {
  int64_t channels = 3, out_channels = 64, kernel = 7, pool_kernel = 3, width = 32;
  std::string activation = "Relu";
};

// Q(x) -> DQ -> stem conv + activation -> MaxPool -> Q -> DQ -> 1x1 conv, optimized and lowered:
// how many pairs fuse_stem_max_pool joins with stem_pool_fusable.
int fused_pairs(const StemGraph& s) {
  GraphBuilder b(13);
  Value* x = b.input("x", {2, s.channels, 30, s.width});
  Value* c1 = b.node("Conv", "stem",
                     {fake_quant(b, "in", x, 1.f / 64),
                      b.constant("w1", exact_weights({s.out_channels, s.channels, s.kernel, s.kernel}, 0, 1))},
                     {{"strides", ints({2, 2})}, {"pads", ints({3, 3, 3, 3})}});
  Value* act = s.activation.empty() ? c1 : b.node(s.activation, "act", {c1});
  Value* pooled = b.node("MaxPool", "pool", {act},
                         {{"kernel_shape", ints({s.pool_kernel, s.pool_kernel})},
                          {"strides", ints({2, 2})},
                          {"pads", ints({1, 1, 1, 1})}});
  b.output(b.node("Conv", "conv2", {fake_quant(b, "act1", pooled, 1.f / 16),
                                    b.constant("w2", exact_weights({16, s.out_channels, 1, 1}, 0, 2))}));
  auto o = optimize_and_compare(b, 2);
  EXPECT_EQ(count_ops(*o.graph, "QConv"), 2) << dump_graph(*o.graph);
  if (!assign_channels_last(*o.graph).ok()) return -1;
  auto events = fuse_stem_max_pool(*o.graph, cuda::stem_pool_fusable);
  EXPECT_TRUE(events.ok()) << events.status().to_string();
  return events.ok() ? static_cast<int>(events->size()) : -1;
}

TEST(StemPoolFusable, ResNetsStemAndPool) { EXPECT_EQ(fused_pairs({}), 1); }

TEST(StemPoolFusable, NoActivationAndFourChannels) {
  StemGraph s;
  s.activation = "";
  s.channels = 4;
  s.out_channels = 32;
  EXPECT_EQ(fused_pairs(s), 1);
}

TEST(StemPoolFusable, NotWhatThePooledKernelDoesNotRun) {
  StemGraph wide_rows;
  wide_rows.width = 300;  // 150-pixel conv rows: over 128
  EXPECT_EQ(fused_pairs(wide_rows), 0);
  StemGraph many_channels;
  many_channels.out_channels = 96;
  EXPECT_EQ(fused_pairs(many_channels), 0);
  StemGraph five;
  five.kernel = 5;
  EXPECT_EQ(fused_pairs(five), 0);
  StemGraph two_by_two;
  two_by_two.pool_kernel = 2;
  EXPECT_EQ(fused_pairs(two_by_two), 0);
  StemGraph sigmoid;
  sigmoid.activation = "Sigmoid";
  EXPECT_EQ(fused_pairs(sigmoid), 0);
}

}  // namespace
}  // namespace kiln::testing
