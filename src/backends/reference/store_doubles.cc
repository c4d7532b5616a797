#include "backends/reference/store_doubles.h"

#include <type_traits>

#include "core/dispatch.h"

namespace kiln {

Status store_doubles(const std::vector<double>& values, Tensor& out) {
  if (!out.defined()) return Status::Ok();
  if (static_cast<int64_t>(values.size()) != out.numel())
    return internal_error("{} values for an output of {} elements", values.size(), out.numel());
  return KILN_DISPATCH_NUMERIC(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* dst = out.data<T>();
    for (size_t i = 0; i < values.size(); ++i) {
      if constexpr (std::is_arithmetic_v<T>) dst[i] = static_cast<T>(values[i]);
      else dst[i] = T(static_cast<float>(values[i]));
    }
    return Status::Ok();
  });
}

}  // namespace kiln
