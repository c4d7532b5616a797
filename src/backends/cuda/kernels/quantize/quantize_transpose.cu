// kiln.QuantizeTranspose: the data-movement transposes (datamove/transpose_kernels.cuh), each
// element quantized as it is loaded (quantize_element.cuh), so the float tensor is read once and
// the quantized one written once, already transposed.
#include "backends/cuda/kernels/datamove/transpose_kernels.cuh"
#include "backends/cuda/kernels/quantize/quantize_element.cuh"
#include "backends/cuda/kernels/quantize/quantize_kernels.h"

namespace kiln::cuda::quantize {

namespace {

// QuantizeLinear's element with the per-tensor parameters (index 0).
template <class X, class S, class Q>
struct QuantizePerTensor {
  QuantizeElement<X, S, Q> element;
  __device__ __forceinline__ Q operator()(X v) const { return element(v, 0); }
};

}  // namespace

cudaError_t launch_quantize_transpose(DataType x_type, DataType scale_type, DataType q_type, TransposeKernel kernel,
                                      int64_t batch, int64_t rows, int64_t cols, const void* x, const void* scale,
                                      const void* zero_point, void* y, cudaStream_t stream) {
  if (kernel == TransposeKernel::kToMinor && rows > datamove::kMaxMinorRows) return cudaErrorInvalidValue;
  cudaError_t err = cudaErrorInvalidValue;
  with_float_type(x_type, [&](auto x_tag) {
    with_float_type(scale_type, [&](auto s_tag) {
      with_quantized_type(q_type, [&](auto q_tag) {
        using X = decltype(x_tag);
        using S = decltype(s_tag);
        using Q = decltype(q_tag);
        const QuantizePerTensor<X, S, Q> convert{{static_cast<const S*>(scale), static_cast<const Q*>(zero_point)}};
        const auto* src = static_cast<const X*>(x);
        auto* dst = static_cast<Q*>(y);
        err = kernel == TransposeKernel::kToMinor
                  ? datamove::launch_to_minor_with(src, dst, batch, static_cast<int>(rows), cols, convert, stream)
                  : datamove::launch_batched_transpose_with(src, dst, batch, rows, cols, convert, stream);
      });
    });
  });
  return err;
}

}  // namespace kiln::cuda::quantize
