// CumSum and ReverseSequence walk lines along one axis.
#include <cstring>
#include <type_traits>

#include "backends/reference/index_utils.h"
#include "backends/reference/compute_type.h"
#include "backends/reference/axis_view.h"
#include "backends/reference/kernel.h"
#include "core/dispatch.h"
#include "ir/ops/infer_utils.h"

namespace kiln {

namespace {

template <class T>
using SumType = std::conditional_t<std::is_integral_v<T>, T, double>;

// Sums run in double for floating types (float16 included) and in the type itself for integers.
Status cum_sum(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  Tensor& out = ctx.output(0);
  KILN_ASSIGN_OR_RETURN(auto axis_v, tensor_to_int64s(ctx.input(1)));
  if (axis_v.size() != 1) return invalid_argument("input 'axis' must hold one value, got {}", axis_v.size());
  KILN_ASSIGN_OR_RETURN(int axis, normalize_axis(axis_v[0], in.rank()));
  const bool exclusive = ctx.node().attr_int("exclusive") != 0;
  const bool reverse = ctx.node().attr_int("reverse") != 0;
  const auto [outer, dim, inner] = axis_view(in.dims(), axis);
  return KILN_DISPATCH_NUMERIC(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using Acc = SumType<T>;
    using Load = ComputeType<T>;
    const T* x = in.data<T>();
    T* y = out.data<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        Acc sum = 0;
        for (int64_t step = 0; step < dim; ++step) {
          const int64_t j = reverse ? dim - 1 - step : step;
          const int64_t at = (o * dim + j) * inner + i;
          const Acc v = static_cast<Acc>(static_cast<Load>(x[at]));
          if (!exclusive) sum += v;
          y[at] = static_cast<T>(sum);
          if (exclusive) sum += v;
        }
      }
    return Status::Ok();
  });
}

// Reverses the first sequence_lens[b] steps along the time axis of each batch entry.
Status reverse_sequence(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  Tensor& out = ctx.output(0);
  const int batch_axis = static_cast<int>(ctx.node().attr_int("batch_axis"));
  const int time_axis = static_cast<int>(ctx.node().attr_int("time_axis"));
  const int64_t batch = in.dim(batch_axis), steps = in.dim(time_axis);
  KILN_ASSIGN_OR_RETURN(auto lens, tensor_to_int64s(ctx.input(1)));
  if (static_cast<int64_t>(lens.size()) != batch)
    return invalid_argument("input 'sequence_lens' has {} entries for batch {}", lens.size(), batch);
  for (int64_t len : lens)
    if (len < 0 || len > steps) return out_of_range("input 'sequence_lens' has {}, outside [0, {}]", len, steps);
  int64_t inner = 1;
  for (int d = 2; d < in.rank(); ++d) inner *= in.dim(d);
  const size_t block = static_cast<size_t>(inner) * data_type_size(in.dtype());
  // Element (t, b) of the first two axes starts at this block.
  auto block_of = [&](int64_t t, int64_t b) {
    return static_cast<size_t>(time_axis == 0 ? t * batch + b : b * steps + t) * block;
  };
  const auto* src = static_cast<const uint8_t*>(in.raw());
  auto* dst = static_cast<uint8_t*>(out.raw());
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < steps; ++t) {
      const int64_t len = lens[static_cast<size_t>(b)];
      const int64_t from = t < len ? len - 1 - t : t;
      std::memcpy(dst + block_of(t, b), src + block_of(from, b), block);
    }
  return Status::Ok();
}

}  // namespace

void register_scan_kernels(KernelRegistry& r) {
  r.add("CumSum", cum_sum);
  r.add("ReverseSequence", reverse_sequence);
}

}  // namespace kiln
