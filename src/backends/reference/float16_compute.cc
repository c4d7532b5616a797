#include "backends/reference/float16_compute.h"

#include "core/half.h"

namespace kiln {

bool is_float16_type(DataType t) { return t == DataType::kFloat16 || t == DataType::kBFloat16; }

Tensor widen_float16(const Tensor& t) {
  if (!is_float16_type(t.dtype())) return t;
  Tensor out(DataType::kFloat32, t.dims());
  float* dst = out.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i)
    dst[i] = t.dtype() == DataType::kFloat16 ? static_cast<float>(t.data<Half>()[i])
                                             : static_cast<float>(t.data<BFloat16>()[i]);
  return out;
}

void narrow_float16(const Tensor& src, Tensor& dst) {
  const float* s = src.data<float>();
  for (int64_t i = 0; i < dst.numel(); ++i) {
    if (dst.dtype() == DataType::kFloat16) dst.data<Half>()[i] = Half(s[i]);
    else dst.data<BFloat16>()[i] = BFloat16(s[i]);
  }
}

}  // namespace kiln
