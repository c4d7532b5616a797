// Kernels of the unary math and logic ops.
#include "backends/cuda/kernels/elementwise/launch.cuh"

namespace kiln::cuda::elementwise {

Launcher find_unary_math_launcher(std::string_view op, DataType type) {
  using namespace kiln_device;
  static constexpr OpEntry kOps[] = {
      {"Acos", &same_type<Acos, kFloats, 1>},
      {"Acosh", &same_type<Acosh, kFloats, 1>},
      {"Asin", &same_type<Asin, kFloats, 1>},
      {"Asinh", &same_type<Asinh, kFloats, 1>},
      {"Atan", &same_type<Atan, kFloats, 1>},
      {"Atanh", &same_type<Atanh, kFloats, 1>},
      {"Cos", &same_type<Cos, kFloats, 1>},
      {"Cosh", &same_type<Cosh, kFloats, 1>},
      {"Sin", &same_type<Sin, kFloats, 1>},
      {"Sinh", &same_type<Sinh, kFloats, 1>},
      {"Tan", &same_type<Tan, kFloats, 1>},
      {"Tanh", &same_type<Tanh, kFloats, 1>},
      {"Ceil", &same_type<Ceil, kFloats, 1>},
      {"Floor", &same_type<Floor, kFloats, 1>},
      {"Round", &same_type<Round, kFloats, 1>},
      {"Exp", &same_type<Exp, kFloats, 1>},
      {"Log", &same_type<Log, kFloats, 1>},
      {"Reciprocal", &same_type<Reciprocal, kFloats, 1>},
      {"Sqrt", &same_type<Sqrt, kFloats, 1>},
      {"Abs", &same_type<Abs, kNumeric, 1>},
      {"Neg", &same_type<Neg, kNumeric, 1>},
      {"Sign", &same_type<Sign, kNumeric, 1>},
      {"Erf", &same_type<Erf, kNumeric, 1>},
      {"Not", &same_type<Not, kBool, 1>},
      {"IsNaN", &predicate<IsNaN, kFloats, 1>},
      {"IsInf", &predicate<IsInf, kFloats, 1>},
  };
  return find_in(kOps, op, type);
}

}  // namespace kiln::cuda::elementwise
