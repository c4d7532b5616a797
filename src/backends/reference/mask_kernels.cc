// Trilu keeps one triangle of each matrix; Dropout at inference passes data through.
#include <cstring>

#include "backends/reference/kernel.h"
#include "backends/reference/strided_copy.h"
#include "core/dispatch.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

Status trilu(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  Tensor& out = ctx.output(0);  // zero-filled: only kept elements are written
  int64_t k = 0;
  if (ctx.has_input(1)) {
    if (ctx.input(1).numel() != 1) return invalid_argument("input 'k' must hold one value, got {}", ctx.input(1).numel());
    KILN_ASSIGN_OR_RETURN(auto kv, tensor_to_int64s(ctx.input(1)));
    k = kv[0];
  }
  const bool upper = ctx.node().attr_int("upper") != 0;
  const int64_t rows = in.dim(in.rank() - 2), cols = in.dim(in.rank() - 1);
  const int64_t matrices = rows * cols == 0 ? 0 : in.numel() / (rows * cols);
  const size_t elem = data_type_size(in.dtype());
  const auto* src = static_cast<const uint8_t*>(in.raw());
  auto* dst = static_cast<uint8_t*>(out.raw());
  for (int64_t m = 0; m < matrices; ++m)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        if (upper ? j - i >= k : j - i <= k) {
          const auto at = static_cast<size_t>((m * rows + i) * cols + j) * elem;
          std::memcpy(dst + at, src + at, elem);
        }
  return Status::Ok();
}

// Random dropout would make inference nondeterministic, so training_mode=true is only accepted
// when it cannot drop anything (ratio 0).
Status dropout(KernelContext& ctx) {
  if (ctx.opset() >= 12 && ctx.has_input(2) && ctx.input(2).numel() > 0 && ctx.input(2).data<bool>()[0]) {
    double ratio = 0.5;
    if (ctx.has_input(1)) {
      KILN_ASSIGN_OR_RETURN(auto r, tensor_to_doubles(ctx.input(1)));
      if (!r.empty()) ratio = r[0];
    }
    if (ratio != 0) return unsupported("Dropout with training_mode=true and ratio {} is random; only inference is supported", ratio);
  }
  KILN_RETURN_IF_ERROR(copy_all(ctx.input(0), ctx.output(0)));
  if (ctx.num_outputs() > 1 && ctx.output(1).defined()) {
    Tensor& mask = ctx.output(1);  // keeps everything: true (or 1 before opset 10, when it had the data's type)
    return KILN_DISPATCH_ALL(mask.dtype(), [&](auto tag) {
      using T = decltype(tag);
      for (int64_t i = 0; i < mask.numel(); ++i) mask.data<T>()[i] = static_cast<T>(1);
      return Status::Ok();
    });
  }
  return Status::Ok();
}

}  // namespace

void register_mask_kernels(KernelRegistry& r) {
  r.add("Trilu", trilu);
  r.add("Dropout", dropout);
}

}  // namespace kiln
