#include "core/half.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace kiln {
namespace {

TEST(Half, EveryHalfRoundTripsThroughFloat) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    const float f = Half::to_float(static_cast<uint16_t>(bits));
    if (std::isnan(f)) continue;
    EXPECT_EQ(Half::from_float(f), bits) << bits;
  }
}

TEST(Half, RoundsToNearestEven) {
  // 1 + 2^-11 lies halfway between 1 and the next half (1 + 2^-10): ties go to even (1).
  EXPECT_EQ(Half::from_float(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(Half::from_float(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(Half::from_float(65520.f), 0x7c00);  // rounds to infinity
  EXPECT_EQ(Half::from_float(-0.0f), 0x8000);
}

TEST(BFloat16, MatchesTruncationWithRounding) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1e6f, 1e6f);
  for (int i = 0; i < 10000; ++i) {
    const float f = u(rng);
    const float back = BFloat16::to_float(BFloat16::from_float(f));
    EXPECT_LE(std::abs(back - f), std::abs(f) * (1.0f / 256)) << f;
  }
}

}  // namespace
}  // namespace kiln
