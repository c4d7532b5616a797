// The shared machinery of the elementwise reference kernels: the one numeric conversion rule,
// the one unary loop and the one broadcasting loop every unary, activation, binary, variadic
// and cast kernel is written with.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "backends/reference/broadcast.h"
#include "backends/reference/kernel.h"
#include "core/dispatch.h"
#include "core/half.h"
#include "core/thread_pool.h"

namespace kiln {

template <class T>
inline constexpr bool is_half_like_v = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

// The type a kernel computes a T in: 16-bit floats only store, so they compute in float.
template <class T>
using compute_t = std::conditional_t<is_half_like_v<T>, float, T>;

// NaN test that also accepts integer compute types (always false for them).
template <class C>
bool is_nan(C x) {
  if constexpr (std::is_floating_point_v<C>) return std::isnan(x);
  else return false;
}

// Converts one value as Cast does (and as every kernel stores a computed value):
//  * to bool: nonzero is true (NaN is true);
//  * floating to integer: truncates toward zero, saturates at the target's range and maps NaN
//    to 0 (C++ leaves out-of-range conversions undefined; saturating is what ONNX later
//    specified for its 8-bit floats and what hardware casts do);
//  * integer to integer: keeps the low bits (two's complement wrap, like numpy's astype);
//  * to a 16-bit float: rounds to nearest even through float.
template <class To, class From>
To convert(From x) {
  if constexpr (std::is_same_v<To, From>) {
    return x;
  } else if constexpr (std::is_same_v<To, bool>) {
    return compute_t<From>(x) != compute_t<From>(0);
  } else if constexpr (is_half_like_v<To>) {
    return To(static_cast<float>(x));
  } else if constexpr (std::is_floating_point_v<To>) {
    return static_cast<To>(compute_t<From>(x));
  } else if constexpr (std::is_integral_v<From>) {  // integer or bool to integer
    return static_cast<To>(x);
  } else {  // floating to integer
    using C = compute_t<From>;
    const C v = x;
    if (std::isnan(v)) return To(0);
    // Both limits are powers of two (or 0), exactly representable in every floating type.
    constexpr C kLowest = static_cast<C>(std::numeric_limits<To>::lowest());
    constexpr C kMaxPlusOne = static_cast<C>(std::numeric_limits<To>::max() / 2 + 1) * C(2);
    if (v <= kLowest) return std::numeric_limits<To>::lowest();
    if (v >= kMaxPlusOne) return std::numeric_limits<To>::max();
    return static_cast<To>(v);
  }
}

// Below this many elements a loop runs on the calling thread.
inline constexpr int64_t kElementwiseGrain = 1 << 14;

// y[i] = f(x[i]) with f taking and returning compute types; the result is stored in Out.
template <class In, class Out, class F>
void unary_map(const Tensor& x, Tensor& y, F f) {
  const In* px = x.data<In>();
  Out* py = y.data<Out>();
  parallel_for(x.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) py[i] = convert<Out>(f(compute_t<In>(px[i])));
  });
}

// out[i] = f(a[..], b[..]) over the broadcast of a and b (out is already shaped as that).
template <class A, class B, class Out, class F>
void binary_map(const Tensor& a, const Tensor& b, Tensor& out, F f) {
  const A* pa = a.data<A>();
  const B* pb = b.data<B>();
  Out* po = out.data<Out>();
  for_each_broadcast(out.dims(), {a.dims(), b.dims()}, [&](int64_t i, const int64_t* offsets) {
    po[i] = convert<Out>(f(compute_t<A>(pa[offsets[0]]), compute_t<B>(pb[offsets[1]])));
  });
}

// Applies op (a generic function of one compute-type value) to input 0, into output 0, for the
// floating types, or for every numeric type.
template <class Op>
Status apply_float_unary(KernelContext& ctx, Op op) {
  auto body = [&](auto tag) {
    using T = decltype(tag);
    unary_map<T, T>(ctx.input(0), ctx.output(0), op);
    return Status::Ok();
  };
  return KILN_DISPATCH_FLOAT(ctx.input(0).dtype(), body);
}

template <class Op>
Status apply_numeric_unary(KernelContext& ctx, Op op) {
  auto body = [&](auto tag) {
    using T = decltype(tag);
    unary_map<T, T>(ctx.input(0), ctx.output(0), op);
    return Status::Ok();
  };
  return KILN_DISPATCH_NUMERIC(ctx.input(0).dtype(), body);
}

// Integer arithmetic that wraps on overflow as two's complement hardware does (signed overflow
// is undefined in C++): the operation runs on an unsigned type at least as wide as int, so
// small types are not promoted to signed int first.
template <class T>
using wrap_t = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;

template <class T, class Op>
T wrapping(T a, T b, Op op) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return static_cast<T>(op(static_cast<wrap_t<T>>(a), static_cast<wrap_t<T>>(b)));
  } else {
    return op(a, b);
  }
}

}  // namespace kiln
