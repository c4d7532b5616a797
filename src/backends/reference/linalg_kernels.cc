// Kernel of Det: LU factorization with partial pivoting, in double, per matrix.
#include <cmath>
#include <utility>
#include <vector>

#include "backends/reference/float16_compute.h"
#include "backends/reference/kernel.h"
#include "core/thread_pool.h"

namespace kiln {

namespace {

template <class T>
double determinant(const T* src, int64_t n) {
  std::vector<double> lu(src, src + n * n);
  double det = 1.0;
  for (int64_t col = 0; col < n; ++col) {
    int64_t pivot = col;
    for (int64_t r = col + 1; r < n; ++r)
      if (std::abs(lu[static_cast<size_t>(r * n + col)]) > std::abs(lu[static_cast<size_t>(pivot * n + col)])) pivot = r;
    const double p = lu[static_cast<size_t>(pivot * n + col)];
    if (p == 0.0) return 0.0;
    if (pivot != col) {
      for (int64_t j = 0; j < n; ++j) std::swap(lu[static_cast<size_t>(pivot * n + j)], lu[static_cast<size_t>(col * n + j)]);
      det = -det;
    }
    det *= p;
    for (int64_t r = col + 1; r < n; ++r) {
      const double f = lu[static_cast<size_t>(r * n + col)] / p;
      for (int64_t j = col + 1; j < n; ++j) lu[static_cast<size_t>(r * n + j)] -= f * lu[static_cast<size_t>(col * n + j)];
    }
  }
  return det;
}

Status det_kernel(KernelContext& ctx) {
  const Tensor x = widen_float16(ctx.input(0));
  Tensor& y = ctx.output(0);
  const int64_t n = x.dim(x.rank() - 1);
  if (x.dim(x.rank() - 2) != n) return invalid_argument("Det takes square matrices, got {}", dims_to_string(x.dims()));
  Tensor result = is_float16_type(y.dtype()) ? Tensor(DataType::kFloat32, y.dims()) : y;
  const int64_t count = result.numel();
  auto run = [&](auto tag) {
    using T = decltype(tag);
    parallel_for(count, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) result.data<T>()[i] = static_cast<T>(determinant(x.data<T>() + i * n * n, n));
    });
  };
  if (result.dtype() == DataType::kFloat32) run(float{});
  else if (result.dtype() == DataType::kFloat64) run(double{});
  else return unsupported("Det on {} is not supported", data_type_name(result.dtype()));
  if (is_float16_type(y.dtype())) narrow_float16(result, y);
  return Status::Ok();
}

}  // namespace

void register_linalg_kernels(KernelRegistry& r) { r.add("Det", det_kernel); }

}  // namespace kiln
