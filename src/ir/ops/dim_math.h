// Arithmetic on possibly unknown dims for shape inference: a result is known only when every
// operand is.
#pragma once

#include <cstdint>

#include "core/shape.h"

namespace kiln {

// Product of dims [begin, end) of a rank-known shape.
inline Dim dim_product(const Shape& s, int begin, int end) {
  int64_t p = 1;
  for (int i = begin; i < end; ++i) {
    if (!s[i].is_static()) return Dim();
    p *= s[i].value;
  }
  return Dim(p);
}

// Length of a 1-D tensor from its shape (an axes or shape input), or -1 when not known.
inline int64_t length_of_1d(const Shape& s) {
  return s.rank_known() && s.rank() == 1 && s[0].is_static() ? s[0].value : -1;
}

inline Dim dim_times(const Dim& d, int64_t k) { return d.is_static() ? Dim(d.value * k) : Dim(); }

}  // namespace kiln
