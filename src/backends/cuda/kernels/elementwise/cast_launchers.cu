// Kernels of Cast (and CastLike) between every pair of distinct dtypes; the store does the
// conversion by the reference's rule.
#include "backends/cuda/kernels/elementwise/launch.cuh"

namespace kiln::cuda::elementwise {

Launcher find_cast_launcher(DataType from, DataType to) {
  if (from == to) return nullptr;  // a copy, not a kernel
  return with_type<kAllTypes>(from, [to](auto from_tag) -> Launcher {
    using From = decltype(from_tag);
    return with_type<kAllTypes>(to, [](auto to_tag) -> Launcher {
      using To = decltype(to_tag);
      if constexpr (kiln_device::is_same<From, To>::value) return nullptr;
      else return &launch<kiln_device::ApplyOp<kiln_device::Cast, To, From>>;
    });
  });
}

}  // namespace kiln::cuda::elementwise
