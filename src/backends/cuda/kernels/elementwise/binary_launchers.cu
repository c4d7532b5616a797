// Kernels of the broadcasting binary ops: arithmetic, comparisons, logic, BitShift, PRelu.
#include "backends/cuda/kernels/elementwise/launch.cuh"

namespace kiln::cuda::elementwise {

Launcher find_binary_launcher(std::string_view op, DataType type) {
  using namespace kiln_device;
  static constexpr OpEntry kOps[] = {
      {"Add", &same_type<Add, kNumeric, 2>},
      {"Sub", &same_type<Sub, kNumeric, 2>},
      {"Mul", &same_type<Mul, kNumeric, 2>},
      {"Div", &same_type<Div, kNumeric, 2>},
      {"Mod", &same_type<Mod, kNumeric, 2>},
      {"PRelu", &same_type<PRelu, kNumeric, 2>},
      {"BitShift", &same_type<BitShift, kUnsignedInts, 2>},
      {"And", &same_type<And, kBool, 2>},
      {"Or", &same_type<Or, kBool, 2>},
      {"Xor", &same_type<Xor, kBool, 2>},
      {"Equal", &predicate<Equal, kAllTypes, 2>},
      {"Greater", &predicate<Greater, kNumeric, 2>},
      {"GreaterOrEqual", &predicate<GreaterOrEqual, kNumeric, 2>},
      {"Less", &predicate<Less, kNumeric, 2>},
      {"LessOrEqual", &predicate<LessOrEqual, kNumeric, 2>},
  };
  return find_in(kOps, op, type);
}

}  // namespace kiln::cuda::elementwise
