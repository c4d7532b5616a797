// Softmax, LogSoftmax and Hardmax: the single-axis (opset 13) and coerce-to-2-D (before 13)
// semantics, against values computed here.
#include <gtest/gtest.h>

#include <cmath>

#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::make_tensor;
using testing::random_float;
using testing::run_node;

// Softmax of x viewed as [outer, n, inner] along n.
std::vector<double> naive_softmax(const Tensor& x, int64_t outer, int64_t n, int64_t inner) {
  std::vector<double> y(static_cast<size_t>(x.numel()));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) sum += std::exp(x.data<float>()[(o * n + k) * inner + i]);
      for (int64_t k = 0; k < n; ++k) {
        const int64_t at = (o * n + k) * inner + i;
        y[static_cast<size_t>(at)] = std::exp(x.data<float>()[at]) / sum;
      }
    }
  return y;
}

TEST(SoftmaxKernels, Opset13IsOneAxis) {
  const Tensor x = random_float({2, 3, 4}, 21, -3, 3);
  for (int64_t axis : {0, 1, 2, -1}) {
    auto sm = run_node({"Softmax", {{"axis", Attribute::of_int(axis)}}}, {x});
    auto lsm = run_node({"LogSoftmax", {{"axis", Attribute::of_int(axis)}}}, {x});
    ASSERT_TRUE(sm.ok() && lsm.ok());
    const int a = axis < 0 ? 2 : static_cast<int>(axis);
    const int64_t outer = a == 0 ? 1 : a == 1 ? 2 : 6, n = x.dim(a), inner = 24 / outer / n;
    const std::vector<double> want = naive_softmax(x, outer, n, inner);
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_NEAR((*sm)[0].data<float>()[i], want[i], 1e-6);
      EXPECT_NEAR((*lsm)[0].data<float>()[i], std::log(want[i]), 1e-5);
    }
  }
  // The default axis is -1.
  auto dflt = run_node({"Softmax"}, {x});
  ASSERT_TRUE(dflt.ok());
  const std::vector<double> last = naive_softmax(x, 6, 4, 1);
  for (size_t i = 0; i < last.size(); ++i) EXPECT_NEAR((*dflt)[0].data<float>()[i], last[i], 1e-6);
}

TEST(SoftmaxKernels, BeforeOpset13CoercesTo2d) {
  const Tensor x = random_float({2, 3, 4}, 22, -3, 3);
  // Default axis 1: rows of 12.
  auto out = run_node({"Softmax", {}, 1, 11}, {x});
  ASSERT_TRUE(out.ok());
  const std::vector<double> want = naive_softmax(x, 2, 12, 1);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR((*out)[0].data<float>()[i], want[i], 1e-6);
}

TEST(SoftmaxKernels, LargeNumbersAndHardmaxTies) {
  const Tensor x = make_tensor<float>(DataType::kFloat32, {2, 3}, {10000, 10001, 10002, 3, 7, 7});
  auto sm = run_node({"Softmax"}, {x});
  auto hm = run_node({"Hardmax"}, {x});
  ASSERT_TRUE(sm.ok() && hm.ok());
  const double e = std::exp(1.0);
  EXPECT_NEAR((*sm)[0].data<float>()[2], e * e / (1 + e + e * e), 1e-6);
  const std::vector<float> one_hot = {0, 0, 1, 0, 1, 0};  // first maximum wins
  for (size_t i = 0; i < one_hot.size(); ++i) EXPECT_EQ((*hm)[0].data<float>()[i], one_hot[i]);
}

TEST(SoftmaxKernels, Errors) {
  EXPECT_FALSE(run_node({"Softmax", {{"axis", Attribute::of_int(3)}}}, {random_float({2, 3, 4}, 23)}).ok());
  EXPECT_FALSE(run_node({"Softmax"}, {make_tensor<int32_t>(DataType::kInt32, {2}, {1, 2})}).ok());
}

}  // namespace
}  // namespace kiln
