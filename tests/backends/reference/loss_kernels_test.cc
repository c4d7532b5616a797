// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss against sums written out here.
#include <gtest/gtest.h>

#include <cmath>

#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::make_tensor;
using testing::random_float;
using testing::run_node;

TEST(LossKernels, NllWithWeightsIgnoreIndexAndEveryReduction) {
  // [N=2, C=3, d=2]
  const Tensor input = random_float({2, 3, 2}, 61, -3, 0);
  const Tensor target = make_tensor<int64_t>(DataType::kInt64, {2, 2}, {0, 2, 1, -1});
  const Tensor weight = make_tensor<float>(DataType::kFloat32, {3}, {0.5f, 2.f, 1.5f});
  auto at = [&](int64_t n, int64_t c, int64_t d) { return static_cast<double>(input.data<float>()[(n * 3 + c) * 2 + d]); };
  // Element (1, 1) is ignored.
  const double l[3] = {-at(0, 0, 0) * 0.5, -at(0, 2, 1) * 1.5, -at(1, 1, 0) * 2.0};
  const double weight_sum = 0.5 + 1.5 + 2.0;
  for (const char* reduction : {"none", "sum", "mean"}) {
    auto out = run_node({"NegativeLogLikelihoodLoss",
                         {{"reduction", Attribute::of_string(reduction)}, {"ignore_index", Attribute::of_int(-1)}}},
                        {input, target, weight});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    const Tensor& y = (*out)[0];
    if (std::string(reduction) == "none") {
      ASSERT_EQ(y.dims(), (std::vector<int64_t>{2, 2}));
      EXPECT_NEAR(y.data<float>()[0], l[0], 1e-6);
      EXPECT_NEAR(y.data<float>()[1], l[1], 1e-6);
      EXPECT_NEAR(y.data<float>()[2], l[2], 1e-6);
      EXPECT_EQ(y.data<float>()[3], 0.f);
    } else {
      ASSERT_EQ(y.rank(), 0);
      const double sum = l[0] + l[1] + l[2];
      EXPECT_NEAR(y.data<float>()[0], std::string(reduction) == "sum" ? sum : sum / weight_sum, 1e-6);
    }
  }
  // A label outside [0, C) that is not ignore_index is an error, not a read out of bounds.
  EXPECT_EQ(run_node({"NegativeLogLikelihoodLoss"}, {input, target}).status().code(), StatusCode::kOutOfRange);
}

TEST(LossKernels, SoftmaxCrossEntropyIsLogSoftmaxThenNll) {
  const Tensor scores = random_float({3, 4}, 62, -2, 2);
  const Tensor labels = make_tensor<int32_t>(DataType::kInt32, {3}, {3, 0, 1});
  auto out = run_node({"SoftmaxCrossEntropyLoss", {}, 2}, {scores, labels});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  double total = 0;
  for (int64_t n = 0; n < 3; ++n) {
    double sum = 0;
    for (int64_t c = 0; c < 4; ++c) sum += std::exp(scores.data<float>()[n * 4 + c]);
    for (int64_t c = 0; c < 4; ++c)
      EXPECT_NEAR((*out)[1].data<float>()[n * 4 + c], scores.data<float>()[n * 4 + c] - std::log(sum), 1e-5);
    total -= scores.data<float>()[n * 4 + labels.data<int32_t>()[n]] - std::log(sum);
  }
  EXPECT_NEAR((*out)[0].data<float>()[0], total / 3, 1e-5);
  // Labels must match the scores' [N, d...].
  EXPECT_FALSE(run_node({"SoftmaxCrossEntropyLoss"}, {scores, make_tensor<int32_t>(DataType::kInt32, {2}, {0, 1})}).ok());
  EXPECT_FALSE(run_node({"SoftmaxCrossEntropyLoss", {{"reduction", Attribute::of_string("avg")}}}, {scores, labels}).ok());
}

}  // namespace
}  // namespace kiln
