#include "backends/reference/quantize_util.h"

#include "core/thread_pool.h"

namespace kiln {

Expected<Tensor> widen_minus_zero_point(const Tensor& x, const Tensor* zero_point, int axis, const char* what) {
  if (x.dtype() != DataType::kUInt8 && x.dtype() != DataType::kInt8 && x.dtype() != DataType::kInt32)
    return invalid_argument("the {} must be uint8, int8 or int32, got {}", what, data_type_name(x.dtype()));
  if (zero_point != nullptr && zero_point->dtype() != x.dtype())
    return invalid_argument("the {}'s zero point is {} but the {} is {}", what, data_type_name(zero_point->dtype()),
                            what, data_type_name(x.dtype()));
  KILN_ASSIGN_OR_RETURN(PerAxis<int32_t> zp, read_per_axis<int32_t>(zero_point, x.dims(), axis, 0, "zero point"));
  Tensor out(DataType::kInt32, x.dims());
  // Elements of one zero point come in runs of `inner` along the flattened tensor.
  int64_t inner = 1, axis_dim = 1;
  if (zp.axis >= 0) {
    axis_dim = x.dim(zp.axis);
    for (int i = zp.axis + 1; i < x.rank(); ++i) inner *= x.dim(i);
  }
  int32_t* dst = out.data<int32_t>();
  auto widen = [&](auto tag) {
    using Q = decltype(tag);
    const Q* src = x.data<Q>();
    parallel_for(x.numel(), 1 << 16, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) dst[i] = static_cast<int32_t>(src[i]) - zp.at((i / inner) % axis_dim);
    });
  };
  if (x.dtype() == DataType::kUInt8) widen(uint8_t{});
  else if (x.dtype() == DataType::kInt8) widen(int8_t{});
  else widen(int32_t{});
  return out;
}

}  // namespace kiln
