#include "tensor_op_test_util.h"

namespace kiln::testing {
namespace {

TEST(ConcatSplitKernels, ConcatJoinsAlongAxis) {
  Tensor a = random_float({2, 1, 3}, 21), b = random_float({2, 2, 3}, 22);
  Tensor y = run_ok(node_spec("Concat", {{"axis", Attribute::of_int(-2)}}), {a, b})[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{2, 3, 3}));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) {
        const float expected = j < 1 ? a.data<float>()[(i * 1 + j) * 3 + k] : b.data<float>()[(i * 2 + j - 1) * 3 + k];
        EXPECT_EQ(y.data<float>()[(i * 3 + j) * 3 + k], expected);
      }
}

TEST(ConcatSplitKernels, ConcatRejectsMismatchedDims) {
  Tensor a = random_float({2, 3}, 23), b = random_float({3, 3}, 24);
  EXPECT_EQ(run_code(node_spec("Concat", {{"axis", Attribute::of_int(1)}}), {a, b}), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(node_spec("Concat", {{"axis", Attribute::of_int(2)}}), {a, a}), StatusCode::kInvalidArgument);
}

TEST(ConcatSplitKernels, SplitUndoesConcat) {
  Tensor a = random_float({2, 1, 3}, 25), b = random_float({2, 4, 3}, 26);
  Tensor joined = run_ok(node_spec("Concat", {{"axis", Attribute::of_int(1)}}), {a, b})[0];
  auto parts = run_ok(node_spec("Split", {{"axis", Attribute::of_int(1)}}, 2), {joined, i64({1, 4})});
  EXPECT_EQ(values_of<float>(parts[0]), values_of<float>(a));
  EXPECT_EQ(values_of<float>(parts[1]), values_of<float>(b));
  const NodeSpec old = node_spec("Split", {{"axis", Attribute::of_int(1)}, {"split", Attribute::of_ints({1, 4})}}, 2, 11);
  EXPECT_EQ(values_of<float>(run_ok(old, {joined})[1]), values_of<float>(b));
}

TEST(ConcatSplitKernels, SplitWithoutSizesCutsEqualParts) {
  Tensor x = random_float({6}, 27);
  auto parts = run_ok(node_spec("Split", {}, 3), {x});
  for (int p = 0; p < 3; ++p) {
    ASSERT_EQ(parts[static_cast<size_t>(p)].dims(), (std::vector<int64_t>{2}));
    EXPECT_EQ(parts[static_cast<size_t>(p)].data<float>()[1], x.data<float>()[p * 2 + 1]);
  }
  EXPECT_EQ(run_code(node_spec("Split", {}, 4), {x}), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(node_spec("Split", {}, 2), {x, i64({2, 2})}), StatusCode::kInvalidArgument);
}

TEST(ConcatSplitKernels, ConcatInferenceSumsKnownDimsAndKeepsSymbols) {
  const NodeSpec spec = node_spec("Concat", {{"axis", Attribute::of_int(1)}});
  auto out = infer_only(spec, {input_of(DataType::kFloat32, Shape({Dim::symbolic("N"), Dim(2)})),
                               input_of(DataType::kFloat32, Shape({Dim::symbolic("N"), Dim(3)}))});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].second, Shape({Dim::symbolic("N"), Dim(5)}));
  auto partly = infer_only(spec, {input_of(DataType::kFloat32, Shape({Dim(4), Dim()})),
                                  input_of(DataType::kFloat32, Shape({Dim(4), Dim(3)}))});
  ASSERT_TRUE(partly.ok());
  EXPECT_EQ((*partly)[0].second, Shape({Dim(4), Dim()}));
}

}  // namespace
}  // namespace kiln::testing
