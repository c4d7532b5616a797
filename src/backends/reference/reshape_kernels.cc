// Reshape, Flatten, Squeeze, Unsqueeze: the output (already shaped by inference) gets the input's
// bytes unchanged.
#include "backends/reference/kernel.h"
#include "backends/reference/strided_copy.h"

namespace kiln {

namespace {

Status copy_data(KernelContext& ctx) { return copy_all(ctx.input(0), ctx.output(0)); }

}  // namespace

void register_reshape_kernels(KernelRegistry& r) {
  for (const char* op : {"Reshape", "Flatten", "Squeeze", "Unsqueeze"}) r.add(op, copy_data);
}

}  // namespace kiln
