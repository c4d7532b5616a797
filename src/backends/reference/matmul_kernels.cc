// Kernels of Gemm, MatMul, MatMulInteger and QLinearMatMul, all on the blocked GEMM.
#include <vector>

#include "backends/reference/float16_compute.h"
#include "backends/reference/gemm_kernel.h"
#include "backends/reference/kernel.h"
#include "backends/reference/matmul.h"
#include "backends/reference/quantize_util.h"
#include "core/thread_pool.h"

namespace kiln {

namespace {

// Runs `fn(tag)` with the GEMM type that computes dtype: float16 types go through float, unsigned
// integers through the signed type of their width (two's complement products and sums wrap the
// same way).
template <class Fn>
Status dispatch_gemm_type(DataType dtype, Fn&& fn) {
  switch (dtype) {
    case DataType::kFloat32: case DataType::kFloat16: case DataType::kBFloat16: return fn(float{});
    case DataType::kFloat64: return fn(double{});
    case DataType::kInt32: case DataType::kUInt32: return fn(int32_t{});
    case DataType::kInt64: case DataType::kUInt64: return fn(int64_t{});
    default: return unsupported("data type {} is not supported for matrix products", data_type_name(dtype));
  }
}

Status matmul_kernel(KernelContext& ctx) {
  const Tensor a = widen_float16(ctx.input(0)), b = widen_float16(ctx.input(1));
  Tensor& y = ctx.output(0);
  if (a.dtype() != b.dtype()) return invalid_argument("A is {} but B is {}", data_type_name(a.dtype()), data_type_name(b.dtype()));
  Tensor result = is_float16_type(y.dtype()) ? Tensor(DataType::kFloat32, y.dims()) : y;
  KILN_RETURN_IF_ERROR(dispatch_gemm_type(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return batched_matmul<T>(static_cast<const T*>(a.raw()), a.dims(), static_cast<const T*>(b.raw()), b.dims(),
                             static_cast<T*>(result.raw()));
  }));
  if (is_float16_type(y.dtype())) narrow_float16(result, y);
  return Status::Ok();
}

Status gemm_kernel(KernelContext& ctx) {
  const Tensor a = widen_float16(ctx.input(0)), b = widen_float16(ctx.input(1));
  Tensor& y = ctx.output(0);
  const bool trans_a = ctx.node().attr_int("transA") != 0, trans_b = ctx.node().attr_int("transB") != 0;
  const int64_t m = y.dim(0), n = y.dim(1), k = trans_a ? a.dim(0) : a.dim(1);
  Tensor result = is_float16_type(y.dtype()) ? Tensor(DataType::kFloat32, y.dims()) : y;
  const bool has_c = ctx.has_input(2);
  const Tensor c = has_c ? widen_float16(ctx.input(2)) : Tensor();
  KILN_RETURN_IF_ERROR(dispatch_gemm_type(y.dtype(), [&](auto tag) -> Status {
    using T = decltype(tag);
    T* out = static_cast<T*>(result.raw());
    if (has_c) {  // C broadcasts (unidirectionally) to [M, N]; it lands in Y and GEMM scales it by beta.
      const int64_t c_rows = c.rank() == 2 ? c.dim(0) : 1, c_cols = c.rank() >= 1 ? c.dim(c.rank() - 1) : 1;
      if ((c_rows != 1 && c_rows != m) || (c_cols != 1 && c_cols != n))
        return invalid_argument("C of shape {} does not broadcast to [{}, {}]", dims_to_string(c.dims()), m, n);
      const T* cv = static_cast<const T*>(c.raw());
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) out[i * n + j] = cv[(c_rows == 1 ? 0 : i) * c_cols + (c_cols == 1 ? 0 : j)];
    }
    const T alpha = static_cast<T>(ctx.node().attr_float("alpha", 1.f));
    const T beta = has_c ? static_cast<T>(ctx.node().attr_float("beta", 1.f)) : T{0};
    gemm<T>(trans_a, trans_b, m, n, k, alpha, static_cast<const T*>(a.raw()), a.dim(1), static_cast<const T*>(b.raw()),
            b.dim(1), beta, out, n);
    return Status::Ok();
  }));
  if (is_float16_type(y.dtype())) narrow_float16(result, y);
  return Status::Ok();
}

// Integer products of A - a_zero_point and B - b_zero_point. The zero points are per tensor, or
// per row of A (a 1-D a_zero_point of M values) and per column of B (N values).
Expected<Tensor> integer_matmul(const Tensor& a, const Tensor* a_zero_point, const Tensor& b, const Tensor* b_zero_point,
                                const std::vector<int64_t>& out_dims) {
  const int a_row_axis = a.rank() >= 2 ? a.rank() - 2 : -1;
  KILN_ASSIGN_OR_RETURN(Tensor a32, widen_minus_zero_point(a, a_zero_point, a_row_axis, "input A"));
  KILN_ASSIGN_OR_RETURN(Tensor b32, widen_minus_zero_point(b, b_zero_point, b.rank() - 1, "input B"));
  Tensor acc(DataType::kInt32, out_dims);
  KILN_RETURN_IF_ERROR(batched_matmul<int32_t>(a32.data<int32_t>(), a32.dims(), b32.data<int32_t>(), b32.dims(),
                                               acc.data<int32_t>()));
  return acc;
}

const Tensor* optional_input(KernelContext& ctx, int i) { return ctx.has_input(i) ? &ctx.input(i) : nullptr; }

Status matmul_integer_kernel(KernelContext& ctx) {
  KILN_ASSIGN_OR_RETURN(Tensor acc, integer_matmul(ctx.input(0), optional_input(ctx, 2), ctx.input(1),
                                                   optional_input(ctx, 3), ctx.output(0).dims()));
  ctx.set_output(0, acc);
  return Status::Ok();
}

// y = quantize((a - a_zp)(b - b_zp) * a_scale * b_scale / y_scale, y_zp); a_scale may be per row,
// b_scale per column.
Status qlinear_matmul_kernel(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(3);
  Tensor& y = ctx.output(0);
  KILN_ASSIGN_OR_RETURN(Tensor acc, integer_matmul(a, optional_input(ctx, 2), b, optional_input(ctx, 5), y.dims()));
  const int64_t n = b.rank() >= 2 ? b.dim(b.rank() - 1) : 1;
  const int64_t m = a.rank() >= 2 ? a.dim(a.rank() - 2) : 1;
  KILN_ASSIGN_OR_RETURN(auto a_scale, read_per_axis<float>(&ctx.input(1), a.dims(), a.rank() - 2, 1.f, "a_scale"));
  KILN_ASSIGN_OR_RETURN(auto b_scale, read_per_axis<float>(&ctx.input(4), b.dims(), b.rank() - 1, 1.f, "b_scale"));
  KILN_ASSIGN_OR_RETURN(auto y_scale, read_per_axis<float>(&ctx.input(6), {}, -1, 1.f, "y_scale"));
  KILN_ASSIGN_OR_RETURN(auto y_zp, read_per_axis<int32_t>(&ctx.input(7), {}, -1, 0, "y_zero_point"));
  return requantize_accumulators(acc, y, y_zp.at(0), [&](int64_t i) {
    return a_scale.at((i / n) % m) * b_scale.at(i % n) / y_scale.at(0);
  });
}

}  // namespace

void register_matmul_kernels(KernelRegistry& r) {
  r.add("Gemm", gemm_kernel);
  r.add("MatMul", matmul_kernel);
  r.add("MatMulInteger", matmul_integer_kernel);
  r.add("QLinearMatMul", qlinear_matmul_kernel);
}

}  // namespace kiln
