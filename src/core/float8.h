// FP8 E4M3 ("e4m3fn", as NVIDIA's FP8 tensor cores and ONNX's FLOAT8E4M3FN define it): sign, 4
// exponent bits with bias 7, 3 mantissa bits; no infinities; S.1111.111 is NaN; the largest
// finite value is 448 and the smallest subnormal 2^-9. Conversions are exact: from float they
// round to nearest even and saturate (|x| > 448 and infinities become +-448); NaN stays NaN.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace kiln {

inline constexpr float kFloat8E4M3Max = 448.f;

inline float e4m3_to_float(uint8_t bits) {
  const float sign = (bits & 0x80) != 0 ? -1.f : 1.f;
  const int exponent = (bits >> 3) & 0xF, mantissa = bits & 0x7;
  if (exponent == 0xF && mantissa == 0x7) return std::copysign(std::numeric_limits<float>::quiet_NaN(), sign);
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -9);  // subnormal: m * 2^-9
  return sign * std::ldexp(static_cast<float>(8 + mantissa), exponent - 10);       // 1.m * 2^(e - 7)
}

inline uint8_t float_to_e4m3(float x) {
  const uint8_t sign = std::signbit(x) ? 0x80 : 0x00;
  if (std::isnan(x)) return sign | 0x7F;
  const float a = std::abs(x);
  if (a >= kFloat8E4M3Max) return sign | 0x7E;
  // Scaling by powers of two is exact, and nearbyint rounds half to even (default rounding mode).
  if (a < std::ldexp(1.f, -6)) {
    // Subnormal range: a multiple of 2^-9; rounding up to 8 * 2^-9 gives the smallest normal, whose
    // code (exponent 1, mantissa 0) is 8 as well.
    return sign | static_cast<uint8_t>(std::nearbyint(std::ldexp(a, 9)));
  }
  int e = 0;
  std::frexp(a, &e);  // a in [2^(e-1), 2^e)
  int exponent = e - 1;
  int significand = static_cast<int>(std::nearbyint(std::ldexp(a, 3 - exponent)));  // in [8, 16]
  if (significand == 16) {
    significand = 8;
    ++exponent;
  }
  // a < 448 rounds to at most 448 = 1.75 * 2^8, so the result is finite.
  return sign | static_cast<uint8_t>(((exponent + 7) << 3) | (significand - 8));
}

}  // namespace kiln
