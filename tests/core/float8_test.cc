#include "core/float8.h"

#include <gtest/gtest.h>

#include <cmath>

namespace kiln {
namespace {

// The value of each code by the format's definition, computed independently of the header.
double reference_value(int code) {
  const int s = code >> 7, e = (code >> 3) & 15, m = code & 7;
  const double magnitude = e == 0 ? m / 8.0 * std::pow(2.0, -6) : (1 + m / 8.0) * std::pow(2.0, e - 7);
  return s ? -magnitude : magnitude;
}

bool is_nan_code(int code) { return (code & 0x7F) == 0x7F; }

TEST(Float8E4M3, EveryCodeDecodesToItsValueAndRoundTrips) {
  for (int code = 0; code < 256; ++code) {
    const float f = e4m3_to_float(static_cast<uint8_t>(code));
    if (is_nan_code(code)) {
      EXPECT_TRUE(std::isnan(f)) << code;
    } else {
      EXPECT_EQ(static_cast<double>(f), reference_value(code)) << code;
      EXPECT_EQ(std::signbit(f), code >= 128) << code;  // -0 included
    }
    EXPECT_EQ(float_to_e4m3(f), code) << code;
  }
  EXPECT_EQ(e4m3_to_float(0x7E), 448.f);
  EXPECT_EQ(e4m3_to_float(0x01), std::ldexp(1.f, -9));
}

// Halfway between neighbouring codes a and a + 1 (same sign) rounds to the even code, and
// anything just off the midpoint to the nearer one.
TEST(Float8E4M3, RoundsToNearestEven) {
  for (int code = 0; code < 0x7E; ++code) {
    const double lo = reference_value(code), hi = reference_value(code + 1);
    const float mid = static_cast<float>((lo + hi) / 2);  // exact: float has 24 bits
    const int even = code % 2 == 0 ? code : code + 1;
    EXPECT_EQ(float_to_e4m3(mid), even) << code;
    EXPECT_EQ(float_to_e4m3(-mid), even | 0x80) << code;
    EXPECT_EQ(float_to_e4m3(std::nextafter(mid, 0.f)), code) << code;
    EXPECT_EQ(float_to_e4m3(std::nextafter(mid, 1e9f)), code + 1) << code;
  }
}

TEST(Float8E4M3, SaturatesAndKeepsNaN) {
  EXPECT_EQ(float_to_e4m3(449.f), 0x7E);
  EXPECT_EQ(float_to_e4m3(1e6f), 0x7E);
  EXPECT_EQ(float_to_e4m3(INFINITY), 0x7E);
  EXPECT_EQ(float_to_e4m3(-INFINITY), 0xFE);
  EXPECT_EQ(float_to_e4m3(-500.f), 0xFE);
  EXPECT_EQ(float_to_e4m3(NAN) & 0x7F, 0x7F);
  EXPECT_EQ(float_to_e4m3(std::ldexp(1.f, -11)), 0x00);  // below half the smallest subnormal
  EXPECT_EQ(float_to_e4m3(std::ldexp(1.f, -10)), 0x00);  // exactly half: ties to even (0)
  EXPECT_EQ(float_to_e4m3(std::ldexp(3.f, -11)), 0x01);
}

}  // namespace
}  // namespace kiln
