// Kernels of the ops with more than two inputs or mixed input dtypes: Where, Clip, Pow and the
// variadic Max/Min/Sum/Mean.
#include "backends/cuda/kernels/elementwise/launch.cuh"

namespace kiln::cuda::elementwise {

namespace {

using namespace kiln_device;

template <class Op, unsigned kSet>
Launcher variadic(DataType type) {
  return with_type<kSet>(type, [](auto tag) -> Launcher { return &launch<ApplyVariadic<Op, decltype(tag)>>; });
}

Launcher where(DataType type) {
  return with_type<kAllTypes>(type, [](auto tag) -> Launcher {
    using T = decltype(tag);
    return &launch<ApplyOp<Where, T, bool, T, T>>;
  });
}

// Bases of ONNX's Pow (floating, int32, int64) with any numeric exponent.
Launcher power(DataType base, DataType exponent) {
  if (base != DataType::kInt32 && base != DataType::kInt64 && !is_floating(base)) return nullptr;
  return with_type<kNumeric>(base, [exponent](auto base_tag) -> Launcher {
    using B = decltype(base_tag);
    return with_type<kNumeric>(exponent, [](auto exponent_tag) -> Launcher {
      return &launch<ApplyOp<Pow, B, B, decltype(exponent_tag)>>;
    });
  });
}

}  // namespace

Launcher find_multi_input_launcher(std::string_view op, DataType type, DataType second) {
  static constexpr OpEntry kOps[] = {
      {"Where", &where},
      {"Clip", &same_type<Clip, kNumeric, 3>},
      {"Max", &variadic<Max, kNumeric>},
      {"Min", &variadic<Min, kNumeric>},
      {"Sum", &variadic<Sum, kFloats>},
      {"Mean", &variadic<Mean, kFloats>},
  };
  if (op == "Pow") return power(type, second);
  return find_in(kOps, op, type);
}

}  // namespace kiln::cuda::elementwise
