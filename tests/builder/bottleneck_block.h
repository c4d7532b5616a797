// A ResNet bottleneck's first block in QDQ form, for the shortcut convolution fusion's tests
// (builder/shortcut_conv_fusion_test.cc, and the CUDA predicate's in backends/cuda).
#pragma once

#include <memory>

#include "builder/layout_assignment.h"
#include "passes/qdq_test_util.h"

namespace kiln::testing {

constexpr float kBlockInScale = 1.f / 64, kBlockActScale = 1.f / 16, kBlockOutScale = 1.f / 8;

struct BlockOptions {
  int64_t stride = 1;
  bool quantized_shortcut = true;  // the shortcut's sum rounded to int8 before the add
  bool shortcut_output = false;    // the shortcut's int8 tensor is also read by another conv
  int64_t channels = 16, out_channels = 32;
};

// Q(x) -> DQ -> 1x1 conv (stride) + relu -> Q -> DQ -> 1x1 conv, plus the 1x1 (stride) shortcut
// conv of the same input [-> Q -> DQ], added, relu, Q -> DQ.
inline void build_bottleneck_block(GraphBuilder& b, const BlockOptions& o) {
  const int64_t c = o.channels, k = o.out_channels;
  Value* x = b.input("x", {2, c, 8, 6});
  Value* xq = fake_quant(b, "in", x, kBlockInScale);
  const Attribute strides = ints({o.stride, o.stride});
  Value* c1 = b.node("Conv", "conv1", {xq, b.constant("w1", exact_weights({c, c, 1, 1}, 0, 1))}, {{"strides", strides}});
  Value* c3 = b.node("Conv", "conv3",
                     {fake_quant(b, "act1", b.node("Relu", "relu1", {c1}), kBlockActScale),
                      b.constant("w3", exact_weights({k, c, 1, 1}, 0, 3))});
  Value* down = b.node("Conv", "down", {xq, b.constant("wd", exact_weights({k, c, 1, 1}, 0, 4))}, {{"strides", strides}});
  Value* shortcut = o.quantized_shortcut ? fake_quant(b, "short", down, kBlockActScale) : down;
  Value* sum = b.node("Add", "add", {c3, shortcut});
  b.output(fake_quant(b, "out", b.node("Relu", "relu2", {sum}), kBlockOutScale));
  if (o.shortcut_output)
    b.output(b.node("Conv", "other", {shortcut, b.constant("wo", exact_weights({c, k, 1, 1}, 0, 5))}));
}

// The block optimized (QDQ fused into kiln.QConv) and lowered to channels-last layers.
inline std::unique_ptr<Graph> lowered_bottleneck_block(GraphBuilder& b) {
  auto o = optimize_and_compare(b, 2);
  EXPECT_TRUE(assign_channels_last(*o.graph).ok());
  return std::move(o.graph);
}

}  // namespace kiln::testing
