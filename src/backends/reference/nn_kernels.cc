// Reference kernels of the nn op family.
#include "backends/reference/kernel.h"

namespace kiln {

void register_nn_kernels(KernelRegistry& r) { (void)r; }

}  // namespace kiln
