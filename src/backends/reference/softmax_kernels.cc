// Reference kernels of Softmax, LogSoftmax and Hardmax.
#include "backends/reference/kernel.h"
#include "backends/reference/softmax_along.h"
#include "core/dispatch.h"
#include "ir/ops/softmax_axis.h"

namespace kiln {

namespace {

KernelFn softmax_kernel(SoftmaxKind kind) {
  return [kind](KernelContext& ctx) -> Status {
    const Tensor& x = ctx.input(0);
    KILN_ASSIGN_OR_RETURN(SoftmaxSpan span, softmax_span(ctx.node(), x.dims()));
    return KILN_DISPATCH_FLOAT(x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      softmax_along(kind, x.data<T>(), ctx.output(0).data<T>(), span.outer, span.n, span.inner);
      return Status::Ok();
    });
  };
}

}  // namespace

void register_softmax_kernels(KernelRegistry& r) {
  r.add("Softmax", softmax_kernel(SoftmaxKind::kSoftmax));
  r.add("LogSoftmax", softmax_kernel(SoftmaxKind::kLogSoftmax));
  r.add("Hardmax", softmax_kernel(SoftmaxKind::kHardmax));
}

}  // namespace kiln
