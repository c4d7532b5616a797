#include "backends/reference/gemm_kernel.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace kiln {
namespace {

// Naive reference in double.
template <class T>
std::vector<double> naive(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const std::vector<T>& a,
                          const std::vector<T>& b, double beta, const std::vector<T>& c) {
  std::vector<double> out(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p)
        s += static_cast<double>(ta ? a[p * m + i] : a[i * k + p]) * static_cast<double>(tb ? b[j * k + p] : b[p * n + j]);
      out[i * n + j] = alpha * s + beta * static_cast<double>(c[i * n + j]);
    }
  return out;
}

template <class T>
void check_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, T beta, double tol) {
  std::mt19937 rng(static_cast<uint32_t>(m * 131 + n * 7 + k));
  std::uniform_int_distribution<int> u(-9, 9);
  std::vector<T> a(m * k), b(k * n), c(m * n);
  for (auto& v : a) v = static_cast<T>(u(rng)) / T{4};
  for (auto& v : b) v = static_cast<T>(u(rng)) / T{2};
  for (auto& v : c) v = static_cast<T>(u(rng));
  const auto expected = naive(ta, tb, m, n, k, alpha, a, b, beta, c);
  gemm<T>(ta, tb, m, n, k, alpha, a.data(), ta ? m : k, b.data(), tb ? k : n, beta, c.data(), n);
  for (size_t i = 0; i < c.size(); ++i)
    ASSERT_NEAR(static_cast<double>(c[i]), expected[i], tol) << "element " << i << " of " << m << "x" << n << "x" << k;
}

TEST(Gemm, FloatEdgeSizesTransposesAlphaBeta) {
  for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {7, 9, 5}, {13, 17, 300}, {100, 530, 33}})
    for (bool ta : {false, true})
      for (bool tb : {false, true}) check_gemm<float>(ta, tb, m, n, k, 0.5f, 2.f, 1e-3);
}

TEST(Gemm, BetaZeroIgnoresNaNInC) {
  std::vector<float> a{1, 2}, b{3, 4}, c{NAN};
  gemm<float>(false, false, 1, 1, 2, 1.f, a.data(), 2, b.data(), 1, 0.f, c.data(), 1);
  EXPECT_EQ(c[0], 11.f);
}

TEST(Gemm, DoubleAndIntegers) {
  check_gemm<double>(false, true, 37, 29, 600, 1.0, 0.0, 1e-9);
  check_gemm<int32_t>(true, false, 23, 41, 19, 3, 1, 0);
  check_gemm<int64_t>(false, false, 11, 13, 270, 1, 2, 0);
}

TEST(Gemm, ZeroDepthScalesC) {
  std::vector<double> c{1, 2, 3, 4};
  gemm<double>(false, false, 2, 2, 0, 1.0, nullptr, 0, nullptr, 2, 3.0, c.data(), 2);
  EXPECT_EQ(c, (std::vector<double>{3, 6, 9, 12}));
}

}  // namespace
}  // namespace kiln
