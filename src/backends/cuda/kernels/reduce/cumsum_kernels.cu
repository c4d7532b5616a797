// CumSum: one thread scans one line along the axis; neighbouring threads take neighbouring
// lines (consecutive in memory when the axis is not the innermost).
#include "backends/cuda/kernels/reduce/device_math.cuh"

namespace kiln::cuda::reduce {

namespace {

template <class T>
__global__ void cumsum_kernel(CumSumArgs args, const T* __restrict__ x, T* __restrict__ y) {
  using A = AccOf<T>;
  const uint32_t lines = args.outer * args.inner;
  for (uint32_t line = blockIdx.x * blockDim.x + threadIdx.x; line < lines; line += gridDim.x * blockDim.x) {
    const uint32_t base = line / args.inner * args.n * args.inner + line % args.inner;
    A sum = A(0);
    for (uint32_t step = 0; step < args.n; ++step) {
      const uint32_t j = args.reverse ? args.n - 1 - step : step;
      const uint32_t at = base + j * args.inner;
      const A v = load_as<A>(x[at]);
      if (!args.exclusive) sum += v;
      y[at] = store_as<T>(sum);
      if (args.exclusive) sum += v;
    }
  }
}

}  // namespace

cudaError_t launch_cumsum(DataType dtype, const CumSumArgs& args, const void* x, void* y, cudaStream_t stream) {
  const uint32_t lines = args.outer * args.inner;
  if (lines == 0 || args.n == 0) return cudaSuccess;
  return dispatch_dtype<NumericTypes>(dtype, [&](auto tag) {
    using T = decltype(tag);
    const uint32_t block = 256;
    const uint32_t grid = ceil_div(lines, block) < 65536 ? ceil_div(lines, block) : 65536;
    cumsum_kernel<T><<<grid, block, 0, stream>>>(args, static_cast<const T*>(x), static_cast<T*>(y));
    return cudaGetLastError();
  });
}

}  // namespace kiln::cuda::reduce
