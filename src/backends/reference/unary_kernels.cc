// Reference kernels of the unary math and logic ops.
#include "backends/reference/elementwise.h"

namespace kiln {

namespace {

// Registers op as a kernel over the floating types.
template <class Op>
void add_float_unary(KernelRegistry& r, const char* name, Op op) {
  r.add(name, [op](KernelContext& ctx) { return apply_float_unary(ctx, op); });
}

// -x and |x| of the most negative integer wrap to itself instead of overflowing.
template <class C>
C negate(C x) {
  if constexpr (std::is_integral_v<C>) return wrapping(C(0), x, std::minus<>());
  else return -x;
}

Status detect_inf(KernelContext& ctx) {
  const bool negative = ctx.node().attr_int("detect_negative") != 0;
  const bool positive = ctx.node().attr_int("detect_positive") != 0;
  auto body = [&](auto tag) {
    using T = decltype(tag);
    unary_map<T, bool>(ctx.input(0), ctx.output(0), [=](auto x) {
      return std::isinf(x) && ((x > 0 && positive) || (x < 0 && negative));
    });
    return Status::Ok();
  };
  return KILN_DISPATCH_FLOAT(ctx.input(0).dtype(), body);
}

Status detect_nan(KernelContext& ctx) {
  auto body = [&](auto tag) {
    using T = decltype(tag);
    unary_map<T, bool>(ctx.input(0), ctx.output(0), [](auto x) { return std::isnan(x); });
    return Status::Ok();
  };
  return KILN_DISPATCH_FLOAT(ctx.input(0).dtype(), body);
}

Status logical_not(KernelContext& ctx) {
  unary_map<bool, bool>(ctx.input(0), ctx.output(0), [](bool x) { return !x; });
  return Status::Ok();
}

}  // namespace

void register_unary_kernels(KernelRegistry& r) {
  add_float_unary(r, "Acos", [](auto x) { return std::acos(x); });
  add_float_unary(r, "Acosh", [](auto x) { return std::acosh(x); });
  add_float_unary(r, "Asin", [](auto x) { return std::asin(x); });
  add_float_unary(r, "Asinh", [](auto x) { return std::asinh(x); });
  add_float_unary(r, "Atan", [](auto x) { return std::atan(x); });
  add_float_unary(r, "Atanh", [](auto x) { return std::atanh(x); });
  add_float_unary(r, "Cos", [](auto x) { return std::cos(x); });
  add_float_unary(r, "Cosh", [](auto x) { return std::cosh(x); });
  add_float_unary(r, "Sin", [](auto x) { return std::sin(x); });
  add_float_unary(r, "Sinh", [](auto x) { return std::sinh(x); });
  add_float_unary(r, "Tan", [](auto x) { return std::tan(x); });
  add_float_unary(r, "Tanh", [](auto x) { return std::tanh(x); });
  add_float_unary(r, "Ceil", [](auto x) { return std::ceil(x); });
  add_float_unary(r, "Floor", [](auto x) { return std::floor(x); });
  // Halves round to even (numpy's round), which nearbyint does in the default rounding mode.
  add_float_unary(r, "Round", [](auto x) { return std::nearbyint(x); });
  add_float_unary(r, "Exp", [](auto x) { return std::exp(x); });
  add_float_unary(r, "Log", [](auto x) { return std::log(x); });
  add_float_unary(r, "Reciprocal", [](auto x) { return decltype(x)(1) / x; });
  add_float_unary(r, "Sqrt", [](auto x) { return std::sqrt(x); });

  r.add("Abs", [](KernelContext& ctx) {
    return apply_numeric_unary(ctx, [](auto x) {
      if constexpr (std::is_unsigned_v<decltype(x)>) return x;
      else return x < 0 ? negate(x) : x;
    });
  });
  r.add("Neg", [](KernelContext& ctx) { return apply_numeric_unary(ctx, [](auto x) { return negate(x); }); });
  r.add("Sign", [](KernelContext& ctx) {
    return apply_numeric_unary(ctx, [](auto x) {
      using C = decltype(x);
      if constexpr (std::is_unsigned_v<C>) return static_cast<C>(x != 0);
      else if (is_nan(x)) return x;
      else return static_cast<C>((C(0) < x) - (x < C(0)));
    });
  });
  // Integers compute erf in double and store it back truncated.
  r.add("Erf", [](KernelContext& ctx) { return apply_numeric_unary(ctx, [](auto x) { return std::erf(x); }); });
  r.add("IsInf", detect_inf);
  r.add("IsNaN", detect_nan);
  r.add("Not", logical_not);
}

}  // namespace kiln
