// TopK for small k: one thread walks one line, keeping its best k in order by insertion
// (neighbouring threads take neighbouring lines, consecutive in memory unless the axis is
// innermost).
#include "backends/cuda/kernels/reduce/device_math.cuh"

namespace kiln::cuda::reduce {

namespace {

template <class T>
__global__ void topk_kernel(TopKArgs args, const T* __restrict__ x, T* __restrict__ values, int64_t* __restrict__ indices) {
  using A = AccOf<T>;
  const uint32_t lines = args.outer * args.inner;
  for (uint32_t line = blockIdx.x * blockDim.x + threadIdx.x; line < lines; line += gridDim.x * blockDim.x) {
    const uint32_t o = line / args.inner, i = line % args.inner;
    const T* in = x + o * args.n * args.inner + i;
    A best[kMaxTopK];
    uint32_t at[kMaxTopK];
    uint32_t kept = 0;
    for (uint32_t j = 0; j < args.n; ++j) {
      const A v = load_as<A>(in[j * args.inner]);
      // Later elements lose ties, so an equal value never moves ahead of an earlier one.
      auto beats = [&](A other) { return args.largest ? v > other : v < other; };
      if (kept == args.k && !beats(best[kept - 1])) continue;
      uint32_t slot = kept < args.k ? kept++ : kept - 1;
      while (slot > 0 && beats(best[slot - 1])) {
        best[slot] = best[slot - 1];
        at[slot] = at[slot - 1];
        --slot;
      }
      best[slot] = v;
      at[slot] = j;
    }
    const uint32_t out = o * args.k * args.inner + i;
    for (uint32_t j = 0; j < kept; ++j) {
      values[out + j * args.inner] = in[at[j] * args.inner];
      indices[out + j * args.inner] = at[j];
    }
  }
}

}  // namespace

cudaError_t launch_topk(DataType dtype, const TopKArgs& args, const void* x, void* values, int64_t* indices,
                        cudaStream_t stream) {
  const uint32_t lines = args.outer * args.inner;
  if (lines == 0 || args.k == 0) return cudaSuccess;
  return dispatch_dtype<NumericTypes>(dtype, [&](auto tag) {
    using T = decltype(tag);
    const uint32_t grid = ceil_div(lines, 128) < 65536 ? ceil_div(lines, 128) : 65536;
    topk_kernel<T><<<grid, 128, 0, stream>>>(args, static_cast<const T*>(x), static_cast<T*>(values), indices);
    return cudaGetLastError();
  });
}

}  // namespace kiln::cuda::reduce
