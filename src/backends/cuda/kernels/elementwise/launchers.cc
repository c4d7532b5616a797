#include "backends/cuda/kernels/elementwise/launchers.h"

namespace kiln::cuda::elementwise {

Launcher find_launcher(std::string_view op, DataType first, DataType second) {
  if (op == "Cast" || op == "CastLike") return find_cast_launcher(first, second);
  for (Launcher found : {find_unary_math_launcher(op, first), find_activation_launcher(op, first),
                         find_binary_launcher(op, first), find_multi_input_launcher(op, first, second)})
    if (found != nullptr) return found;
  return nullptr;
}

}  // namespace kiln::cuda::elementwise
