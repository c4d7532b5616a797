// Type dispatch for kernels: run a generic lambda with the C++ type of a DataType.
//   KILN_DISPATCH_FLOAT(t.dtype(), [&](auto tag) { using T = decltype(tag); ... });
// Each macro returns the lambda's Status, or unsupported() for a type outside its set.
#pragma once

#include "core/error.h"
#include "core/half.h"
#include "kiln/data_type.h"

namespace kiln::dispatch_detail {

template <class F>
Status unsupported_type(DataType t, const char* set) {
  return unsupported("data type {} is not supported here (supported: {})", data_type_name(t), set);
}

}  // namespace kiln::dispatch_detail

#define KILN_CASE_TYPE(ENUM, TYPE, FN) \
  case ::kiln::DataType::ENUM:         \
    return FN(TYPE{});

// float32, float64, float16, bfloat16 (16-bit types are computed in float by the kernel).
#define KILN_DISPATCH_FLOAT(DT, FN)                                                      \
  [&]() -> ::kiln::Status {                                                              \
    switch (DT) {                                                                        \
      KILN_CASE_TYPE(kFloat32, float, FN)                                                \
      KILN_CASE_TYPE(kFloat64, double, FN)                                               \
      KILN_CASE_TYPE(kFloat16, ::kiln::Half, FN)                                         \
      KILN_CASE_TYPE(kBFloat16, ::kiln::BFloat16, FN)                                    \
      default:                                                                           \
        return ::kiln::dispatch_detail::unsupported_type<int>(DT, "floating types");     \
    }                                                                                    \
  }()

// All integer types (not bool).
#define KILN_DISPATCH_INT_CASES(FN)          \
  KILN_CASE_TYPE(kInt8, int8_t, FN)          \
  KILN_CASE_TYPE(kUInt8, uint8_t, FN)        \
  KILN_CASE_TYPE(kInt16, int16_t, FN)        \
  KILN_CASE_TYPE(kUInt16, uint16_t, FN)      \
  KILN_CASE_TYPE(kInt32, int32_t, FN)        \
  KILN_CASE_TYPE(kUInt32, uint32_t, FN)      \
  KILN_CASE_TYPE(kInt64, int64_t, FN)        \
  KILN_CASE_TYPE(kUInt64, uint64_t, FN)

#define KILN_DISPATCH_NUMERIC(DT, FN)                                                    \
  [&]() -> ::kiln::Status {                                                              \
    switch (DT) {                                                                        \
      KILN_CASE_TYPE(kFloat32, float, FN)                                                \
      KILN_CASE_TYPE(kFloat64, double, FN)                                               \
      KILN_CASE_TYPE(kFloat16, ::kiln::Half, FN)                                         \
      KILN_CASE_TYPE(kBFloat16, ::kiln::BFloat16, FN)                                    \
      KILN_DISPATCH_INT_CASES(FN)                                                        \
      default:                                                                           \
        return ::kiln::dispatch_detail::unsupported_type<int>(DT, "numeric types");      \
    }                                                                                    \
  }()

// Every type, bool included (bool is stored as uint8_t-sized `bool`).
#define KILN_DISPATCH_ALL(DT, FN)                                                        \
  [&]() -> ::kiln::Status {                                                              \
    switch (DT) {                                                                        \
      KILN_CASE_TYPE(kFloat32, float, FN)                                                \
      KILN_CASE_TYPE(kFloat64, double, FN)                                               \
      KILN_CASE_TYPE(kFloat16, ::kiln::Half, FN)                                         \
      KILN_CASE_TYPE(kBFloat16, ::kiln::BFloat16, FN)                                    \
      KILN_DISPATCH_INT_CASES(FN)                                                        \
      KILN_CASE_TYPE(kBool, bool, FN)                                                    \
      default:                                                                           \
        return ::kiln::dispatch_detail::unsupported_type<int>(DT, "all types");          \
    }                                                                                    \
  }()
