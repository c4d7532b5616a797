// Division of non-negative 32-bit counts by a divisor fixed at launch, as a multiply and a shift.
// Why: a kernel that splits a flat index into image, row and column divides by runtime values,
// and a 32-bit division is some twenty instructions on the GPU; Kiln's int8 implicit GEMM does
// several per block on layers whose blocks have only a few hundred instructions of real work
// (docs/perf-notes.md, session 8).
//
// The method (Granlund and Montgomery): for a divisor d with l = ceil(log2 d), the multiplier
// m = ceil(2^(31 + l) / d) fits in 32 bits, and for every n < 2^31, floor(n * m / 2^(31 + l)) =
// floor(n / d): n * m / 2^(31 + l) exceeds n / d by less than n / 2^(31 + l) < 2^-l <= 1 / d,
// too little to reach the next multiple of 1 / d above n / d. Free of Kiln's heavier headers: nvcc
// compiles it into kernels.
#pragma once

#include <cstdint>

#include "core/host_device.h"

namespace kiln::cuda {

struct FastDivisor {
  uint32_t multiplier = 1u << 31;  // of the divisor 1
  uint32_t shift = 31;             // 31 + l
  int32_t divisor = 1;

  FastDivisor() = default;
  // d >= 1.
  explicit FastDivisor(int32_t d) : divisor(d) {
    uint32_t l = 0;
    while ((uint64_t{1} << l) < static_cast<uint64_t>(d)) ++l;
    shift = 31 + l;
    const uint64_t scale = uint64_t{1} << shift;
    multiplier = static_cast<uint32_t>((scale + static_cast<uint64_t>(d) - 1) / static_cast<uint64_t>(d));
  }

  // n / divisor for 0 <= n < 2^31.
  KILN_HOST_DEVICE int32_t divide(int32_t n) const {
    return static_cast<int32_t>((static_cast<uint64_t>(static_cast<uint32_t>(n)) * multiplier) >> shift);
  }
  // The quotient and the remainder.
  KILN_HOST_DEVICE void divide(int32_t n, int32_t& quotient, int32_t& remainder) const {
    quotient = divide(n);
    remainder = n - quotient * divisor;
  }
};

}  // namespace kiln::cuda

