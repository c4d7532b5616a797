// Reference kernels of Cast, CastLike and Identity.
#include <cstring>

#include "backends/reference/elementwise.h"

namespace kiln {

namespace {

// Converts input 0 into output 0, whose type inference already set (from 'to' or from the
// CastLike target), by the one conversion rule every kernel uses.
Status cast(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  Tensor& out = ctx.output(0);
  auto from_body = [&](auto from_tag) {
    using From = decltype(from_tag);
    auto to_body = [&](auto to_tag) {
      using To = decltype(to_tag);
      const From* src = in.data<From>();
      To* dst = out.data<To>();
      parallel_for(in.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) dst[i] = convert<To>(src[i]);
      });
      return Status::Ok();
    };
    return KILN_DISPATCH_ALL(out.dtype(), to_body);
  };
  return KILN_DISPATCH_ALL(in.dtype(), from_body);
}

// A copy rather than an alias: the output's storage is owned by the caller.
Status identity(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  if (in.nbytes() != 0) std::memcpy(ctx.output(0).raw(), in.raw(), in.nbytes());
  return Status::Ok();
}

}  // namespace

void register_cast_kernels(KernelRegistry& r) {
  r.add("Cast", cast);
  r.add("CastLike", cast);
  r.add("Identity", identity);
}

}  // namespace kiln
