#include "tensor_op_test_util.h"

namespace kiln::testing {
namespace {

TEST(ExpandTileKernels, ExpandBroadcastsBothWays) {
  Tensor x = random_float({3, 1}, 51);
  Tensor y = run_ok(node_spec("Expand"), {x, i64({2, 1, 4})})[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{2, 3, 4}));
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 4; ++j) EXPECT_EQ(y.data<float>()[(b * 3 + i) * 4 + j], x.data<float>()[i]);
  EXPECT_EQ(run_code(node_spec("Expand"), {x, i64({2, 4})}), StatusCode::kInvalidArgument);
}

TEST(ExpandTileKernels, TileRepeatsWholeCopies) {
  Tensor x = random_float({2, 3}, 52);
  Tensor y = run_ok(node_spec("Tile"), {x, i64({2, 3})})[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{4, 9}));
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 9; ++j) EXPECT_EQ(y.data<float>()[i * 9 + j], x.data<float>()[(i % 2) * 3 + j % 3]);
  EXPECT_EQ(run_code(node_spec("Tile"), {x, i64({2})}), StatusCode::kInvalidArgument);
}

TEST(ExpandTileKernels, InferenceWithUnknownValuesKeepsRank) {
  auto out = infer_only(node_spec("Tile"), {input_of(DataType::kFloat32, Shape::from_dims({2, 3})),
                                   input_of(DataType::kInt64, Shape::from_dims({2}))});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].second, Shape::unknown_dims(2));
  auto ex = infer_only(node_spec("Expand"), {input_of(DataType::kFloat32, Shape::from_dims({2, 3})),
                                    input_of(DataType::kInt64, Shape::from_dims({4}))});
  ASSERT_TRUE(ex.ok());
  EXPECT_EQ((*ex)[0].second, Shape::unknown_dims(4));
}

}  // namespace
}  // namespace kiln::testing
