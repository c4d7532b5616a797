#include "tensor_op_test_util.h"

namespace kiln::testing {
namespace {

TEST(LayoutKernels, TransposeMovesEveryElementToItsPermutedIndex) {
  Tensor x = random_float({2, 3, 4}, 11);
  Tensor y = run_ok(node_spec("Transpose", {{"perm", Attribute::of_ints({1, 2, 0})}}), {x})[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{3, 4, 2}));
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c) EXPECT_EQ(y.data<float>()[(b * 4 + c) * 2 + a], x.data<float>()[(a * 3 + b) * 4 + c]);
}

TEST(LayoutKernels, TransposeDefaultsToReversedAxes) {
  Tensor x = make_tensor<int32_t>(DataType::kInt32, {2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor y = run_ok(node_spec("Transpose"), {x})[0];
  EXPECT_EQ(values_of<int32_t>(y), (std::vector<int32_t>{1, 4, 2, 5, 3, 6}));
}

TEST(LayoutKernels, TransposeRejectsNonPermutations) {
  Tensor x = random_float({2, 3}, 12);
  EXPECT_EQ(run_code(node_spec("Transpose", {{"perm", Attribute::of_ints({0, 0})}}), {x}), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(node_spec("Transpose", {{"perm", Attribute::of_ints({0})}}), {x}), StatusCode::kInvalidArgument);
}

TEST(LayoutKernels, DepthToSpaceModesMatchTheirDefinitions) {
  const int64_t n = 2, c = 8, h = 2, w = 3, bs = 2, oc = c / (bs * bs);
  Tensor x = random_float({n, c, h, w}, 13);
  for (const char* mode : {"DCR", "CRD"}) {
    Tensor y = run_ok(node_spec("DepthToSpace", {{"blocksize", Attribute::of_int(bs)}, {"mode", Attribute::of_string(mode)}}), {x})[0];
    ASSERT_EQ(y.dims(), (std::vector<int64_t>{n, oc, h * bs, w * bs}));
    const bool dcr = std::string(mode) == "DCR";
    for (int64_t b = 0; b < n; ++b)
      for (int64_t oc_i = 0; oc_i < oc; ++oc_i)
        for (int64_t yy = 0; yy < h * bs; ++yy)
          for (int64_t xx = 0; xx < w * bs; ++xx) {
            const int64_t by = yy % bs, bx = xx % bs;
            const int64_t ic = dcr ? (by * bs + bx) * oc + oc_i : (oc_i * bs + by) * bs + bx;
            EXPECT_EQ(y.data<float>()[((b * oc + oc_i) * h * bs + yy) * w * bs + xx],
                      x.data<float>()[((b * c + ic) * h + yy / bs) * w + xx / bs]);
          }
  }
}

TEST(LayoutKernels, SpaceToDepthUndoesDepthToSpaceDcr) {
  Tensor x = random_float({1, 3, 4, 6}, 14);
  Tensor packed = run_ok(node_spec("SpaceToDepth", {{"blocksize", Attribute::of_int(2)}}), {x})[0];
  ASSERT_EQ(packed.dims(), (std::vector<int64_t>{1, 12, 2, 3}));
  Tensor back = run_ok(node_spec("DepthToSpace", {{"blocksize", Attribute::of_int(2)}}), {packed})[0];
  EXPECT_EQ(values_of<float>(back), values_of<float>(x));
  EXPECT_EQ(run_code(node_spec("SpaceToDepth", {{"blocksize", Attribute::of_int(4)}}), {x}), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::testing
