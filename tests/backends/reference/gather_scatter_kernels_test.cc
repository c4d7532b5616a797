#include "tensor_op_test_util.h"

namespace kiln::testing {
namespace {

TEST(GatherScatterKernels, GatherTakesRowsWithInt32AndNegativeIndices) {
  Tensor x = random_float({3, 4}, 41);
  Tensor idx = make_tensor<int32_t>(DataType::kInt32, {2, 2}, {2, -3, -1, 1});
  Tensor y = run_ok(node_spec("Gather", {{"axis", Attribute::of_int(1)}}), {x, idx})[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{3, 2, 2}));
  const int cols[] = {2, 1, 3, 1};
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 4; ++k) EXPECT_EQ(y.data<float>()[r * 4 + k], x.data<float>()[r * 4 + cols[k]]);
}

TEST(GatherScatterKernels, OutOfRangeIndicesAreErrorsNotReads) {
  Tensor x = random_float({3, 4}, 42);
  EXPECT_EQ(run_code(node_spec("Gather"), {x, i64({3})}), StatusCode::kOutOfRange);
  EXPECT_EQ(run_code(node_spec("Gather"), {x, i64({-4})}), StatusCode::kOutOfRange);
  EXPECT_EQ(run_code(node_spec("GatherElements"), {x, i64({0, 5, 0, 0}, {1, 4})}), StatusCode::kOutOfRange);
  EXPECT_EQ(run_code(node_spec("GatherND"), {x, i64({1, 4}, {1, 2})}), StatusCode::kOutOfRange);
  EXPECT_EQ(run_code(node_spec("ScatterElements"), {x, i64({7}, {1, 1}), f32({1.f}, {1, 1})}), StatusCode::kOutOfRange);
  EXPECT_EQ(run_code(node_spec("ScatterND"), {x, i64({-5}, {1, 1}), f32({1, 2, 3, 4}, {1, 4})}), StatusCode::kOutOfRange);
  auto out = run_node(node_spec("Gather"), {x, i64({3})});
  EXPECT_NE(out.status().message().find("'indices'"), std::string::npos) << out.status().message();
}

TEST(GatherScatterKernels, GatherElementsPicksAlongAxis) {
  Tensor x = random_float({2, 3}, 43);
  Tensor y = run_ok(node_spec("GatherElements", {{"axis", Attribute::of_int(1)}}), {x, i64({2, 0, -1, 1}, {2, 2})})[0];
  EXPECT_EQ(values_of<float>(y), (std::vector<float>{x.data<float>()[2], x.data<float>()[0], x.data<float>()[5],
                                                      x.data<float>()[4]}));
}

TEST(GatherScatterKernels, GatherNdWithBatchDims) {
  Tensor x = random_float({2, 3, 4}, 44);
  // Per batch b, one tuple (row) selecting x[b, row, :].
  Tensor y = run_ok(node_spec("GatherND", {{"batch_dims", Attribute::of_int(1)}}), {x, i64({2, 0}, {2, 1})})[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{2, 4}));
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(y.data<float>()[k], x.data<float>()[(0 * 3 + 2) * 4 + k]);
    EXPECT_EQ(y.data<float>()[4 + k], x.data<float>()[(1 * 3 + 0) * 4 + k]);
  }
}

TEST(GatherScatterKernels, ScatterElementsAddsDuplicates) {
  Tensor x = f32({1, 2, 3, 4, 5}, {1, 5});
  Tensor y = run_ok(node_spec("ScatterElements", {{"axis", Attribute::of_int(1)}, {"reduction", Attribute::of_string("add")}}),
                    {x, i64({1, 1}, {1, 2}), f32({1.5f, 2.5f}, {1, 2})})[0];
  EXPECT_EQ(values_of<float>(y), (std::vector<float>{1, 6, 3, 4, 5}));
  Tensor z = run_ok(node_spec("Scatter", {{"axis", Attribute::of_int(1)}}, 1, 10), {x, i64({-1, 0}, {1, 2}), f32({7, 8}, {1, 2})})[0];
  EXPECT_EQ(values_of<float>(z), (std::vector<float>{8, 2, 3, 4, 7}));
}

TEST(GatherScatterKernels, ScatterNdMultipliesSlices) {
  Tensor x = f32({1, 2, 3, 4, 5, 6}, {3, 2});
  Tensor y = run_ok(node_spec("ScatterND", {{"reduction", Attribute::of_string("mul")}}),
                    {x, i64({2, 0}, {2, 1}), f32({10, 100, 2, 3}, {2, 2})})[0];
  EXPECT_EQ(values_of<float>(y), (std::vector<float>{2, 6, 3, 4, 50, 600}));
  EXPECT_EQ(run_code(node_spec("ScatterND"), {x, i64({0}, {1, 1}), f32({1, 2, 3}, {1, 3})}), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::testing
