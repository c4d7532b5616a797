// Reference kernels of the activation ops.
#include <algorithm>

#include "backends/reference/elementwise.h"

namespace kiln {

namespace {

// Registers op(x, node) as a kernel over the floating types; `make_op` reads the node's
// attributes once per call and returns the elementwise function.
template <class MakeOp>
void add_float_activation(KernelRegistry& r, const char* name, MakeOp make_op) {
  r.add(name, [make_op](KernelContext& ctx) { return apply_float_unary(ctx, make_op(ctx.node())); });
}

template <class C>
C sigmoid(C x) {
  // Split by sign so exp never overflows.
  if (x >= C(0)) return C(1) / (C(1) + std::exp(-x));
  const C e = std::exp(x);
  return e / (C(1) + e);
}

template <class C>
C softplus(C x) {
  // log(1 + e^x) without overflowing e^x for large x.
  return x > C(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

// Bounds from the 'min'/'max' attributes before opset 11, from the optional inputs since; an
// absent bound does not clip.
Status clip(KernelContext& ctx) {
  auto body = [&](auto tag) {
    using T = decltype(tag);
    using C = compute_t<T>;
    C lo = std::numeric_limits<C>::lowest();
    C hi = std::numeric_limits<C>::max();
    if (ctx.opset() < 11) {
      lo = static_cast<C>(ctx.node().attr_float("min", std::numeric_limits<float>::lowest()));
      hi = static_cast<C>(ctx.node().attr_float("max", std::numeric_limits<float>::max()));
    } else {
      for (int i = 1; i <= 2; ++i) {
        if (!ctx.has_input(i)) continue;
        if (ctx.input(i).numel() != 1)
          return invalid_argument("input {} must hold one value, got {}", i, ctx.input(i).numel());
        (i == 1 ? lo : hi) = static_cast<C>(ctx.input(i).data<T>()[0]);
      }
    }
    // min(max(x, lo), hi) as numpy clips: lo > hi gives hi everywhere, NaN stays NaN.
    unary_map<T, T>(ctx.input(0), ctx.output(0), [lo, hi](C x) {
      const C v = x < lo ? lo : x;
      return hi < v ? hi : v;
    });
    return Status::Ok();
  };
  return KILN_DISPATCH_NUMERIC(ctx.input(0).dtype(), body);
}

// Slope broadcasts to X's shape, which is the output's.
Status prelu(KernelContext& ctx) {
  auto body = [&](auto tag) {
    using T = decltype(tag);
    binary_map<T, T, T>(ctx.input(0), ctx.input(1), ctx.output(0), [](auto x, auto slope) {
      if constexpr (std::is_unsigned_v<decltype(x)>) return x;
      else return x < 0 ? wrapping(slope, x, std::multiplies<>()) : x;
    });
    return Status::Ok();
  };
  return KILN_DISPATCH_NUMERIC(ctx.input(0).dtype(), body);
}

Status shrink(KernelContext& ctx) {
  const double bias = ctx.node().attr_float("bias");
  const double lambd = ctx.node().attr_float("lambd");
  // Integers compute in double; the result is stored back truncated.
  return apply_numeric_unary(ctx, [=](auto x) {
    const double v = static_cast<double>(x);
    return v < -lambd ? v + bias : v > lambd ? v - bias : 0.0;
  });
}

}  // namespace

void register_activation_kernels(KernelRegistry& r) {
  r.add("Relu", [](KernelContext& ctx) {
    return apply_numeric_unary(ctx, [](auto x) {
      using C = decltype(x);
      if constexpr (std::is_unsigned_v<C>) return x;
      else return x < C(0) ? C(0) : x;
    });
  });
  r.add("Sigmoid", [](KernelContext& ctx) { return apply_float_unary(ctx, [](auto x) { return sigmoid(x); }); });
  r.add("Softplus", [](KernelContext& ctx) { return apply_float_unary(ctx, [](auto x) { return softplus(x); }); });
  r.add("Softsign", [](KernelContext& ctx) {
    return apply_float_unary(ctx, [](auto x) { return x / (decltype(x)(1) + std::abs(x)); });
  });
  r.add("HardSwish", [](KernelContext& ctx) {
    return apply_float_unary(ctx, [](auto x) {
      using C = decltype(x);
      return x * std::clamp(x / C(6) + C(0.5), C(0), C(1));
    });
  });
  r.add("Mish", [](KernelContext& ctx) {
    return apply_float_unary(ctx, [](auto x) { return x * std::tanh(softplus(x)); });
  });
  add_float_activation(r, "Elu", [](const Node& n) {
    const float alpha = n.attr_float("alpha");
    return [alpha](auto x) { return x < 0 ? decltype(x)(alpha) * std::expm1(x) : x; };
  });
  add_float_activation(r, "Celu", [](const Node& n) {
    const float alpha = n.attr_float("alpha");
    return [alpha](auto x) {
      using C = decltype(x);
      return std::max(C(0), x) + std::min(C(0), C(alpha) * std::expm1(x / C(alpha)));
    };
  });
  add_float_activation(r, "Selu", [](const Node& n) {
    const float alpha = n.attr_float("alpha");
    const float gamma = n.attr_float("gamma");
    return [alpha, gamma](auto x) {
      using C = decltype(x);
      return x > 0 ? C(gamma) * x : C(gamma) * C(alpha) * std::expm1(x);
    };
  });
  add_float_activation(r, "LeakyRelu", [](const Node& n) {
    const float alpha = n.attr_float("alpha");
    return [alpha](auto x) { return x < 0 ? decltype(x)(alpha) * x : x; };
  });
  add_float_activation(r, "ThresholdedRelu", [](const Node& n) {
    const float alpha = n.attr_float("alpha");
    return [alpha](auto x) { return x > decltype(x)(alpha) ? x : decltype(x)(0); };
  });
  add_float_activation(r, "HardSigmoid", [](const Node& n) {
    const float alpha = n.attr_float("alpha");
    const float beta = n.attr_float("beta");
    return [alpha, beta](auto x) {
      using C = decltype(x);
      return std::clamp(C(alpha) * x + C(beta), C(0), C(1));
    };
  });
  add_float_activation(r, "Gelu", [](const Node& n) {
    const bool tanh_approximation = n.attr_string("approximate") == "tanh";
    return [tanh_approximation](auto x) {
      using C = decltype(x);
      if (tanh_approximation) {
        const C sqrt_2_over_pi = C(0.7978845608028654);
        return C(0.5) * x * (C(1) + std::tanh(sqrt_2_over_pi * (x + C(0.044715) * x * x * x)));
      }
      return C(0.5) * x * (C(1) + std::erf(x * C(0.7071067811865476)));
    };
  });
  r.add("Shrink", shrink);
  r.add("Clip", clip);
  r.add("PRelu", prelu);
}

}  // namespace kiln
