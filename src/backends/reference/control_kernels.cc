// Reference kernels of the control op family.
#include "backends/reference/kernel.h"

namespace kiln {

void register_control_kernels(KernelRegistry& r) { (void)r; }

}  // namespace kiln
