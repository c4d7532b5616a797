// FastDivisor against the division operator, on the host (the same code runs in the kernels):
// every divisor up to 4096 with dividends at each multiple's edges and at random, divisors near
// powers of two and up to 2^31 - 1, and dividends up to 2^31 - 1.
#include "backends/cuda/fast_divisor.h"

#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace kiln::cuda {
namespace {

void expect_divides(int32_t d, int32_t n) {
  const FastDivisor f(d);
  int32_t q = 0, r = 0;
  f.divide(n, q, r);
  ASSERT_EQ(q, n / d) << n << " / " << d;
  ASSERT_EQ(r, n % d) << n << " % " << d;
}

TEST(FastDivisorTest, MatchesDivisionForEverySmallDivisorAtMultiplesEdges) {
  std::mt19937 rng(17);
  std::uniform_int_distribution<int32_t> any(0, INT32_MAX);
  for (int32_t d = 1; d <= 4096; ++d) {
    for (int64_t k : {int64_t{0}, int64_t{1}, int64_t{7}, int64_t{1000}, int64_t{INT32_MAX} / d}) {
      for (int64_t n : {k * d - 1, k * d, k * d + d - 1})
        if (n >= 0 && n <= INT32_MAX) expect_divides(d, static_cast<int32_t>(n));
    }
    for (int i = 0; i < 64; ++i) expect_divides(d, any(rng));
  }
}

TEST(FastDivisorTest, MatchesDivisionForLargeAndPowerOfTwoDivisors) {
  std::mt19937 rng(29);
  std::uniform_int_distribution<int32_t> any(0, INT32_MAX);
  std::vector<int32_t> divisors = {INT32_MAX, INT32_MAX - 1, 1 << 30, (1 << 30) + 1, 3136, 12544, 802816};
  for (int l = 1; l < 31; ++l)
    for (int32_t delta : {-1, 0, 1}) divisors.push_back((int32_t{1} << l) + delta);
  for (int32_t d : divisors) {
    if (d < 1) continue;
    for (int32_t n : {0, 1, d - 1, d, INT32_MAX, INT32_MAX - 1, INT32_MAX - d}) expect_divides(d, n);
    for (int i = 0; i < 1000; ++i) expect_divides(d, any(rng));
  }
}

TEST(FastDivisorTest, DefaultDividesByOne) {
  const FastDivisor one;
  for (int32_t n : {0, 1, 12345, INT32_MAX}) EXPECT_EQ(one.divide(n), n);
}

}  // namespace
}  // namespace kiln::cuda
