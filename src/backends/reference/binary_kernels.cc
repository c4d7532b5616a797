// Reference kernels of the broadcasting ops: arithmetic, comparisons, logic, Where, and the
// variadic Max/Min/Sum/Mean.
#include <functional>

#include "backends/reference/elementwise.h"

namespace kiln {

namespace {

// Integer results wrap on overflow.
template <class Op>
KernelFn arithmetic(Op op) {
  return [op](KernelContext& ctx) {
    auto body = [&](auto tag) {
      using T = decltype(tag);
      binary_map<T, T, T>(ctx.input(0), ctx.input(1), ctx.output(0),
                          [op](auto a, auto b) { return wrapping(a, b, op); });
      return Status::Ok();
    };
    return KILN_DISPATCH_NUMERIC(ctx.input(0).dtype(), body);
  };
}

// Bool output; bool inputs too (Equal).
template <class Op>
KernelFn comparison(Op op) {
  return [op](KernelContext& ctx) {
    auto body = [&](auto tag) {
      using T = decltype(tag);
      binary_map<T, T, bool>(ctx.input(0), ctx.input(1), ctx.output(0), op);
      return Status::Ok();
    };
    return KILN_DISPATCH_ALL(ctx.input(0).dtype(), body);
  };
}

template <class Op>
KernelFn logical(Op op) {
  return [op](KernelContext& ctx) {
    binary_map<bool, bool, bool>(ctx.input(0), ctx.input(1), ctx.output(0), op);
    return Status::Ok();
  };
}

// Integer division and modulo by zero are undefined; report them instead.
template <class T>
Status check_no_zero_divisor(const Tensor& divisor, const Tensor& out) {
  if constexpr (std::is_integral_v<T>) {
    if (out.numel() == 0) return Status::Ok();
    const T* p = divisor.data<T>();
    for (int64_t i = 0; i < divisor.numel(); ++i)
      if (p[i] == 0) return invalid_argument("integer division by zero (divisor element {})", i);
  }
  return Status::Ok();
}

// Integers truncate toward zero, as C does and as ONNX Runtime does.
Status divide(KernelContext& ctx) {
  auto body = [&](auto tag) {
    using T = decltype(tag);
    KILN_RETURN_IF_ERROR(check_no_zero_divisor<T>(ctx.input(1), ctx.output(0)));
    binary_map<T, T, T>(ctx.input(0), ctx.input(1), ctx.output(0), [](auto a, auto b) {
      using C = decltype(a);
      if constexpr (std::is_signed_v<C> && std::is_integral_v<C>) {
        if (b == C(-1)) return wrapping(C(0), a, std::minus<>());  // min / -1 overflows
      }
      return static_cast<C>(a / b);
    });
    return Status::Ok();
  };
  return KILN_DISPATCH_NUMERIC(ctx.input(0).dtype(), body);
}

// fmod=1: the remainder has the dividend's sign (C's % and fmod). fmod=0 (integers only): it
// has the divisor's sign, as Python's and numpy's mod.
Status modulo(KernelContext& ctx) {
  const bool fmod = ctx.node().attr_int("fmod") != 0;
  auto body = [&](auto tag) {
    using T = decltype(tag);
    KILN_RETURN_IF_ERROR(check_no_zero_divisor<T>(ctx.input(1), ctx.output(0)));
    binary_map<T, T, T>(ctx.input(0), ctx.input(1), ctx.output(0), [fmod](auto a, auto b) {
      using C = decltype(a);
      if constexpr (std::is_floating_point_v<C>) {
        return std::fmod(a, b);
      } else if constexpr (std::is_unsigned_v<C>) {
        return static_cast<C>(a % b);
      } else {
        if (b == C(-1)) return C(0);  // min % -1 overflows
        const C r = static_cast<C>(a % b);
        if (fmod || r == 0 || (r < 0) == (b < 0)) return r;
        return static_cast<C>(r + b);
      }
    });
    return Status::Ok();
  };
  return KILN_DISPATCH_NUMERIC(ctx.input(0).dtype(), body);
}

// base^exponent for integers, wrapping on overflow. A negative exponent gives 1/base^-e
// truncated: 0 unless |base| is 1.
template <class C, class E>
C integer_power(C base, E exponent) {
  if constexpr (std::is_signed_v<E>) {
    if (exponent < 0) {
      if (base == C(1)) return C(1);
      if constexpr (std::is_signed_v<C>)
        if (base == C(-1)) return (exponent % 2 == 0) ? C(1) : C(-1);
      return C(0);
    }
  }
  C result = 1;
  for (auto e = static_cast<std::make_unsigned_t<E>>(exponent); e != 0; e >>= 1) {
    if (e & 1u) result = wrapping(result, base, std::multiplies<>());
    base = wrapping(base, base, std::multiplies<>());
  }
  return result;
}

// The exponent may have another type than the base; the result has the base's type. Mixed and
// floating cases compute in double.
Status power(KernelContext& ctx) {
  auto base_body = [&](auto base_tag) {
    using T = decltype(base_tag);
    auto exponent_body = [&](auto exponent_tag) {
      using E = decltype(exponent_tag);
      binary_map<T, E, T>(ctx.input(0), ctx.input(1), ctx.output(0), [](auto base, auto exponent) {
        if constexpr (std::is_integral_v<decltype(base)> && std::is_integral_v<decltype(exponent)>)
          return integer_power(base, exponent);
        else
          return std::pow(static_cast<double>(base), static_cast<double>(exponent));
      });
      return Status::Ok();
    };
    return KILN_DISPATCH_NUMERIC(ctx.input(1).dtype(), exponent_body);
  };
  return KILN_DISPATCH_NUMERIC(ctx.input(0).dtype(), base_body);
}

// Shifting by the type's width or more gives 0 (C++ leaves it undefined).
Status bit_shift(KernelContext& ctx) {
  const bool left = ctx.node().attr_string("direction") == "LEFT";
  auto body = [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_unsigned_v<T>) {
      binary_map<T, T, T>(ctx.input(0), ctx.input(1), ctx.output(0), [left](T x, T shift) {
        if (shift >= sizeof(T) * 8) return T(0);
        return static_cast<T>(left ? x << shift : x >> shift);
      });
      return Status::Ok();
    } else {
      return invalid_argument("BitShift takes unsigned integers, got {}", data_type_name(ctx.input(0).dtype()));
    }
  };
  return KILN_DISPATCH_NUMERIC(ctx.input(0).dtype(), body);
}

Status where(KernelContext& ctx) {
  const Tensor& condition = ctx.input(0);
  const Tensor& x = ctx.input(1);
  const Tensor& y = ctx.input(2);
  Tensor& out = ctx.output(0);
  auto body = [&](auto tag) {
    using T = decltype(tag);
    const bool* pc = condition.data<bool>();
    const T* px = x.data<T>();
    const T* py = y.data<T>();
    T* po = out.data<T>();
    for_each_broadcast(out.dims(), {condition.dims(), x.dims(), y.dims()}, [&](int64_t i, const int64_t* off) {
      po[i] = pc[off[0]] ? px[off[1]] : py[off[2]];
    });
    return Status::Ok();
  };
  return KILN_DISPATCH_ALL(x.dtype(), body);
}

// out = fold(fold(in0, in1), in2)... over the broadcast of every input, then finish(acc, n).
template <class T, class Fold, class Finish>
void variadic_map(KernelContext& ctx, Fold fold, Finish finish) {
  using C = compute_t<T>;
  std::vector<const T*> data;
  std::vector<std::vector<int64_t>> dims;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    data.push_back(ctx.input(i).data<T>());
    dims.push_back(ctx.input(i).dims());
  }
  T* po = ctx.output(0).data<T>();
  const size_t n = data.size();
  for_each_broadcast(ctx.output(0).dims(), dims, [&](int64_t i, const int64_t* off) {
    C acc = data[0][off[0]];
    for (size_t j = 1; j < n; ++j) acc = fold(acc, C(data[j][off[j]]));
    po[i] = convert<T>(finish(acc, n));
  });
}

// Max and Min propagate NaN, as numpy's maximum and minimum do.
template <class Pick>
KernelFn extremum(Pick pick_b) {
  return [pick_b](KernelContext& ctx) {
    auto body = [&](auto tag) {
      using T = decltype(tag);
      variadic_map<T>(ctx,
                      [pick_b](auto a, auto b) { return (is_nan(b) || (!is_nan(a) && pick_b(a, b))) ? b : a; },
                      [](auto acc, size_t) { return acc; });
      return Status::Ok();
    };
    return KILN_DISPATCH_NUMERIC(ctx.input(0).dtype(), body);
  };
}

template <class Finish>
KernelFn summation(Finish finish) {
  return [finish](KernelContext& ctx) {
    auto body = [&](auto tag) {
      using T = decltype(tag);
      variadic_map<T>(ctx, std::plus<>(), finish);
      return Status::Ok();
    };
    return KILN_DISPATCH_FLOAT(ctx.input(0).dtype(), body);
  };
}

}  // namespace

void register_binary_kernels(KernelRegistry& r) {
  r.add("Add", arithmetic(std::plus<>()));
  r.add("Sub", arithmetic(std::minus<>()));
  r.add("Mul", arithmetic(std::multiplies<>()));
  r.add("Div", divide);
  r.add("Mod", modulo);
  r.add("Pow", power);
  r.add("BitShift", bit_shift);
  r.add("And", logical([](bool a, bool b) { return a && b; }));
  r.add("Or", logical([](bool a, bool b) { return a || b; }));
  r.add("Xor", logical([](bool a, bool b) { return a != b; }));
  r.add("Equal", comparison(std::equal_to<>()));
  r.add("Greater", comparison(std::greater<>()));
  r.add("GreaterOrEqual", comparison(std::greater_equal<>()));
  r.add("Less", comparison(std::less<>()));
  r.add("LessOrEqual", comparison(std::less_equal<>()));
  r.add("Where", where);
  r.add("Max", extremum([](auto a, auto b) { return a < b; }));
  r.add("Min", extremum([](auto a, auto b) { return b < a; }));
  r.add("Sum", summation([](auto acc, size_t) { return acc; }));
  r.add("Mean", summation([](auto acc, size_t n) { return acc / static_cast<decltype(acc)>(n); }));
}

}  // namespace kiln
