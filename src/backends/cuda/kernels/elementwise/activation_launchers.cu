// Kernels of the activation ops with one input.
#include "backends/cuda/kernels/elementwise/launch.cuh"

namespace kiln::cuda::elementwise {

Launcher find_activation_launcher(std::string_view op, DataType type) {
  using namespace kiln_device;
  static constexpr OpEntry kOps[] = {
      {"Relu", &same_type<Relu, kNumeric, 1>},
      {"Shrink", &same_type<Shrink, kNumeric, 1>},
      {"Sigmoid", &same_type<Sigmoid, kFloats, 1>},
      {"Softplus", &same_type<Softplus, kFloats, 1>},
      {"Softsign", &same_type<Softsign, kFloats, 1>},
      {"HardSwish", &same_type<HardSwish, kFloats, 1>},
      {"Mish", &same_type<Mish, kFloats, 1>},
      {"Elu", &same_type<Elu, kFloats, 1>},
      {"Celu", &same_type<Celu, kFloats, 1>},
      {"Selu", &same_type<Selu, kFloats, 1>},
      {"LeakyRelu", &same_type<LeakyRelu, kFloats, 1>},
      {"ThresholdedRelu", &same_type<ThresholdedRelu, kFloats, 1>},
      {"HardSigmoid", &same_type<HardSigmoid, kFloats, 1>},
      {"Gelu", &same_type<Gelu, kFloats, 1>},
  };
  return find_in(kOps, op, type);
}

}  // namespace kiln::cuda::elementwise
