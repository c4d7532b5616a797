// Reduce* kernels against reductions written out here, over every subset of axes.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "testing/node_runner.h"

namespace kiln {
namespace {

using testing::make_tensor;
using testing::random_float;
using testing::run_node;

// Naive reduction of a [2, 3, 4] tensor over the axes in `mask` (bit i: axis i); keepdims order.
std::vector<double> naive_reduce(const Tensor& x, int mask, const std::function<double(const std::vector<double>&)>& fold) {
  const int64_t d[3] = {2, 3, 4};
  std::vector<double> out;
  for (int64_t i = 0; i < (mask & 1 ? 1 : d[0]); ++i)
    for (int64_t j = 0; j < (mask & 2 ? 1 : d[1]); ++j)
      for (int64_t k = 0; k < (mask & 4 ? 1 : d[2]); ++k) {
        std::vector<double> group;
        for (int64_t a = 0; a < (mask & 1 ? d[0] : 1); ++a)
          for (int64_t b = 0; b < (mask & 2 ? d[1] : 1); ++b)
            for (int64_t c = 0; c < (mask & 4 ? d[2] : 1); ++c)
              group.push_back(x.data<float>()[((i + a) * 3 + (j + b)) * 4 + (k + c)]);
        out.push_back(fold(group));
      }
  return out;
}

double sum_of(const std::vector<double>& g, double (*f)(double)) {
  double s = 0;
  for (double v : g) s += f(v);
  return s;
}

struct ReduceCase {
  const char* op;
  std::function<double(const std::vector<double>&)> fold;
};

std::vector<ReduceCase> cases() {
  return {
      {"ReduceSum", [](const auto& g) { return sum_of(g, [](double v) { return v; }); }},
      {"ReduceSumSquare", [](const auto& g) { return sum_of(g, [](double v) { return v * v; }); }},
      {"ReduceL1", [](const auto& g) { return sum_of(g, [](double v) { return std::abs(v); }); }},
      {"ReduceL2", [](const auto& g) { return std::sqrt(sum_of(g, [](double v) { return v * v; })); }},
      {"ReduceLogSum", [](const auto& g) { return std::log(sum_of(g, [](double v) { return v; })); }},
      {"ReduceLogSumExp", [](const auto& g) { return std::log(sum_of(g, [](double v) { return std::exp(v); })); }},
      {"ReduceMax", [](const auto& g) { return *std::max_element(g.begin(), g.end()); }},
      {"ReduceMin", [](const auto& g) { return *std::min_element(g.begin(), g.end()); }},
      {"ReduceMean", [](const auto& g) { return sum_of(g, [](double v) { return v; }) / static_cast<double>(g.size()); }},
      {"ReduceProd",
       [](const auto& g) {
         double p = 1;
         for (double v : g) p *= v;
         return p;
       }},
  };
}

TEST(ReduceKernels, EveryOpOverEveryAxisSubsetMatchesNaive) {
  // Positive values so LogSum is defined.
  const Tensor x = random_float({2, 3, 4}, 11, 0.5f, 1.5f);
  for (const ReduceCase& c : cases()) {
    for (int mask = 0; mask < 8; ++mask) {
      std::vector<int64_t> axes;
      for (int a = 0; a < 3; ++a)
        if (mask & (1 << a)) axes.push_back(a - (a == 2 ? 3 : 0));  // axis 2 given as -1
      const std::vector<double> want = naive_reduce(x, mask == 0 ? 7 : mask, c.fold);
      for (int64_t keepdims : {0, 1}) {
        testing::NodeSpec spec{c.op, {{"keepdims", Attribute::of_int(keepdims)}}};
        std::vector<Tensor> inputs = {x};
        if (std::string(c.op) == "ReduceSum") {
          if (!axes.empty()) inputs.push_back(make_tensor<int64_t>(DataType::kInt64, {static_cast<int64_t>(axes.size())}, axes));
        } else if (!axes.empty()) {
          spec.attrs["axes"] = Attribute::of_ints(axes);
        }
        auto out = run_node(spec, inputs);
        ASSERT_TRUE(out.ok()) << c.op << ": " << out.status().to_string();
        const Tensor& y = (*out)[0];
        std::vector<int64_t> dims;
        for (int a = 0; a < 3; ++a) {
          const bool reduced = mask == 0 || (mask & (1 << a));
          if (!reduced) dims.push_back(x.dim(a));
          else if (keepdims) dims.push_back(1);
        }
        ASSERT_EQ(y.dims(), dims) << c.op << " mask " << mask;
        for (size_t i = 0; i < want.size(); ++i)
          EXPECT_NEAR(y.data<float>()[i], want[i], 1e-5 * std::max(1.0, std::abs(want[i]))) << c.op << " mask " << mask;
      }
    }
  }
}

TEST(ReduceKernels, AxesAttributeBeforeOpset13AndNoopWithEmptyAxes) {
  const Tensor x = random_float({3, 5}, 12);
  auto old = run_node({"ReduceSum", {{"axes", Attribute::of_ints({1})}}, 1, 11}, {x});
  ASSERT_TRUE(old.ok()) << old.status().to_string();
  EXPECT_EQ((*old)[0].dims(), (std::vector<int64_t>{3, 1}));
  const Tensor empty(DataType::kInt64, {0});
  auto noop = run_node({"ReduceSum", {{"noop_with_empty_axes", Attribute::of_int(1)}}}, {x, empty});
  ASSERT_TRUE(noop.ok()) << noop.status().to_string();
  ASSERT_EQ((*noop)[0].dims(), x.dims());
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_EQ((*noop)[0].data<float>()[i], x.data<float>()[i]);
  auto all = run_node({"ReduceSum", {{"keepdims", Attribute::of_int(0)}}}, {x, empty});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[0].rank(), 0);
}

TEST(ReduceKernels, IntegersStayExact) {
  const Tensor x = make_tensor<int64_t>(DataType::kInt64, {2, 2}, {(int64_t{1} << 60) + 1, 3, -7, 2});
  auto sum = run_node({"ReduceSum", {{"keepdims", Attribute::of_int(0)}}, 1, 11}, {x});
  auto max = run_node({"ReduceMax", {{"axes", Attribute::of_ints({1})}, {"keepdims", Attribute::of_int(0)}}}, {x});
  ASSERT_TRUE(sum.ok() && max.ok());
  EXPECT_EQ((*sum)[0].data<int64_t>()[0], (int64_t{1} << 60) - 1);
  EXPECT_EQ((*max)[0].data<int64_t>()[0], (int64_t{1} << 60) + 1);
  EXPECT_EQ((*max)[0].data<int64_t>()[1], 2);
}

TEST(ReduceKernels, LogSumExpOfLargeValuesIsFinite) {
  const Tensor x = make_tensor<float>(DataType::kFloat32, {3}, {1000, 1000, 999});
  auto out = run_node({"ReduceLogSumExp", {{"keepdims", Attribute::of_int(0)}}}, {x});
  ASSERT_TRUE(out.ok());
  EXPECT_NEAR((*out)[0].data<float>()[0], 1000 + std::log(2 + std::exp(-1.0)), 1e-3);
}

TEST(ReduceKernels, Errors) {
  const Tensor x = random_float({3, 5}, 13);
  EXPECT_FALSE(run_node({"ReduceMean", {{"axes", Attribute::of_ints({2})}}}, {x}).ok());
  EXPECT_FALSE(run_node({"ReduceMean", {{"axes", Attribute::of_ints({1, -1})}}}, {x}).ok());
  // The axes input only exists from opset 13 (ReduceSum) and 18 (the others); the attribute
  // no longer does after.
  const Tensor axes = make_tensor<int64_t>(DataType::kInt64, {1}, {0});
  EXPECT_FALSE(run_node({"ReduceSum", {}, 1, 11}, {x, axes}).ok());
  EXPECT_FALSE(run_node({"ReduceSum", {{"axes", Attribute::of_ints({0})}}, 1, 13}, {x}).ok());
  EXPECT_TRUE(run_node({"ReduceMax", {}, 1, 18}, {x, axes}).ok());
}

}  // namespace
}  // namespace kiln
