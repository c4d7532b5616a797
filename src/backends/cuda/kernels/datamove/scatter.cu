#include <cstring>
#include <type_traits>

#include "backends/cuda/kernels/datamove/launch_config.cuh"
#include "backends/cuda/kernels/datamove/scatter.h"

namespace kiln::cuda::datamove {

namespace {

// ONNX's reductions as the reference computes them; integers wrap on overflow (computed unsigned).
template <class T, ScatterReduction R>
__device__ __forceinline__ T combine(T a, T b) {
  using U = typename std::conditional_t<std::is_integral_v<T>, std::make_unsigned<T>, std::type_identity<T>>::type;
  if constexpr (R == ScatterReduction::kAdd) {
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else if constexpr (R == ScatterReduction::kMul) {
    return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
  } else if constexpr (R == ScatterReduction::kMax) {
    return a < b ? b : a;
  } else {
    static_assert(R == ScatterReduction::kMin);
    return b < a ? b : a;
  }
}

template <class To, class From>
__device__ __forceinline__ To bits_as(From from) {
  static_assert(sizeof(To) == sizeof(From));
  To to;
  memcpy(&to, &from, sizeof(To));
  return to;
}

// *target = combine(*target, update), atomically: native atomicAdd where the type has one, else
// a compare-and-swap loop on the element's word.
template <class T, ScatterReduction R>
struct AtomicCombine {
  __device__ __forceinline__ void operator()(T* target, T update) const {
    if constexpr (R == ScatterReduction::kAdd && !std::is_same_v<T, int64_t>) {
      atomicAdd(target, update);
    } else if constexpr (R == ScatterReduction::kAdd) {  // two's complement: unsigned add is signed add
      atomicAdd(reinterpret_cast<unsigned long long*>(target), static_cast<unsigned long long>(update));
    } else {
      using Word = std::conditional_t<sizeof(T) == 4, unsigned int, unsigned long long>;
      auto* word = reinterpret_cast<Word*>(target);
      Word seen = *word, expected;
      do {
        expected = seen;
        const Word next = bits_as<Word>(combine<T, R>(bits_as<T>(expected), update));
        if (next == expected) return;  // max/min that keeps the target: nothing to write
        seen = atomicCAS(word, expected, next);
      } while (seen != expected);
    }
  }
};

// A plain store: duplicate targets race and one of them wins.
template <class T>
struct Store {
  __device__ __forceinline__ void operator()(T* target, T update) const { *target = update; }
};

template <class T, class I, class Map, class Write>
__global__ void __launch_bounds__(kThreads)
    scatter_kernel(const T* __restrict__ updates, T* out, I count, Map map, Write write) {
  const I stride = static_cast<I>(gridDim.x) * kThreads;
  for (I i = static_cast<I>(blockIdx.x) * kThreads + static_cast<I>(threadIdx.x); i < count; i += stride) {
    const I at = map(i);
    if (at >= 0) write(out + at, updates[i]);
  }
}

template <class T, class Map, class Write>
cudaError_t launch(const Map& map, const void* updates, int64_t count, void* out, int64_t dst_count, Write write,
                   cudaStream_t stream) {
  const auto* u = static_cast<const T*>(updates);
  auto* o = static_cast<T*>(out);
  if (fits_int32(count) && fits_int32(dst_count))
    scatter_kernel<T, int32_t><<<grid_blocks(count), kThreads, 0, stream>>>(u, o, static_cast<int32_t>(count), map, write);
  else
    scatter_kernel<T, int64_t><<<grid_blocks(count), kThreads, 0, stream>>>(u, o, count, map, write);
  return cudaGetLastError();
}

template <class T, class Map>
cudaError_t launch_reduction(const Map& map, const void* updates, int64_t count, void* out, int64_t dst_count,
                             ScatterReduction reduction, cudaStream_t stream) {
  switch (reduction) {
    case ScatterReduction::kAdd:
      return launch<T>(map, updates, count, out, dst_count, AtomicCombine<T, ScatterReduction::kAdd>{}, stream);
    case ScatterReduction::kMul:
      return launch<T>(map, updates, count, out, dst_count, AtomicCombine<T, ScatterReduction::kMul>{}, stream);
    case ScatterReduction::kMax:
      return launch<T>(map, updates, count, out, dst_count, AtomicCombine<T, ScatterReduction::kMax>{}, stream);
    case ScatterReduction::kMin:
      return launch<T>(map, updates, count, out, dst_count, AtomicCombine<T, ScatterReduction::kMin>{}, stream);
    case ScatterReduction::kNone: break;
  }
  return cudaErrorInvalidValue;
}

}  // namespace

template <class Map>
cudaError_t launch_scatter(const Map& map, const void* updates, int64_t count, void* out, int64_t dst_count,
                           int elem_bytes, ScatterReduction reduction, ReducedType type, cudaStream_t stream) {
  if (count <= 0) return cudaSuccess;
  if (reduction == ScatterReduction::kNone) {
    return with_word(elem_bytes, [&](auto word) {
      using Word = decltype(word);
      return launch<Word>(map, updates, count, out, dst_count, Store<Word>{}, stream);
    });
  }
  switch (type) {
    case ReducedType::kFloat32: return launch_reduction<float>(map, updates, count, out, dst_count, reduction, stream);
    case ReducedType::kFloat64: return launch_reduction<double>(map, updates, count, out, dst_count, reduction, stream);
    case ReducedType::kInt32: return launch_reduction<int32_t>(map, updates, count, out, dst_count, reduction, stream);
    case ReducedType::kInt64: return launch_reduction<int64_t>(map, updates, count, out, dst_count, reduction, stream);
  }
  return cudaErrorInvalidValue;
}

#define KILN_INSTANTIATE_SCATTER(Map)                                                                          \
  template cudaError_t launch_scatter<Map>(const Map&, const void*, int64_t, void*, int64_t, int, ScatterReduction, \
                                           ReducedType, cudaStream_t);
KILN_INSTANTIATE_SCATTER(ScatterElementsMap<int32_t>)
KILN_INSTANTIATE_SCATTER(ScatterElementsMap<int64_t>)
KILN_INSTANTIATE_SCATTER(ScatterNDMap<int32_t>)
KILN_INSTANTIATE_SCATTER(ScatterNDMap<int64_t>)
#undef KILN_INSTANTIATE_SCATTER

}  // namespace kiln::cuda::datamove
