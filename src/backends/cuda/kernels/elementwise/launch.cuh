// What the *_launchers.cu files share: the kernel template around the shared loop, its launch,
// and the mapping from DataType to device storage type.
#pragma once

#include <string_view>

#include "backends/cuda/kernels/elementwise/launchers.h"

#define KILN_DEVICE_SOURCE(...) __VA_ARGS__
#include "backends/cuda/kernels/elementwise/device_functions.inc"
#undef KILN_DEVICE_SOURCE

namespace kiln::cuda::elementwise {

template <class Apply>
__global__ void __launch_bounds__(kiln_device::kBlockThreads)
    elementwise_kernel(Apply apply, kiln_device::ElementwiseParams params) {
  kiln_device::run_elementwise(apply, params);
}

template <class Apply>
cudaError_t launch(const kiln_device::OpAttrs& attrs, const kiln_device::ElementwiseParams& params, unsigned blocks,
                   cudaStream_t stream) {
  elementwise_kernel<Apply><<<blocks, kiln_device::kBlockThreads, 0, stream>>>(Apply{{attrs}}, params);
  return cudaGetLastError();
}

// Sets of dtypes an op is instantiated for.
enum TypeSet : unsigned {
  kFloats = 1,
  kSignedInts = 2,
  kUnsignedInts = 4,
  kBool = 8,
  kInts = kSignedInts | kUnsignedInts,
  kNumeric = kFloats | kInts,
  kAllTypes = kNumeric | kBool,
};

// f(T{}) for the storage type T of `type` when it is in kSet, else null.
template <unsigned kSet, class F>
Launcher with_type(DataType type, F f) {
  switch (type) {
    case DataType::kFloat32: if constexpr ((kSet & kFloats) != 0) return f(float{}); break;
    case DataType::kFloat64: if constexpr ((kSet & kFloats) != 0) return f(double{}); break;
    case DataType::kFloat16: if constexpr ((kSet & kFloats) != 0) return f(kiln_device::half_t{}); break;
    case DataType::kBFloat16: if constexpr ((kSet & kFloats) != 0) return f(kiln_device::bf16_t{}); break;
    case DataType::kInt8: if constexpr ((kSet & kSignedInts) != 0) return f(kiln_device::i8{}); break;
    case DataType::kInt16: if constexpr ((kSet & kSignedInts) != 0) return f(kiln_device::i16{}); break;
    case DataType::kInt32: if constexpr ((kSet & kSignedInts) != 0) return f(kiln_device::i32{}); break;
    case DataType::kInt64: if constexpr ((kSet & kSignedInts) != 0) return f(kiln_device::i64{}); break;
    case DataType::kUInt8: if constexpr ((kSet & kUnsignedInts) != 0) return f(kiln_device::u8{}); break;
    case DataType::kUInt16: if constexpr ((kSet & kUnsignedInts) != 0) return f(kiln_device::u16{}); break;
    case DataType::kUInt32: if constexpr ((kSet & kUnsignedInts) != 0) return f(kiln_device::u32{}); break;
    case DataType::kUInt64: if constexpr ((kSet & kUnsignedInts) != 0) return f(kiln_device::u64{}); break;
    case DataType::kBool: if constexpr ((kSet & kBool) != 0) return f(bool{}); break;
    default: break;
  }
  return nullptr;
}

// An op's name and the finder of its instantiation for a dtype.
struct OpEntry {
  std::string_view name;
  Launcher (*find)(DataType);
};

template <size_t N>
Launcher find_in(const OpEntry (&entries)[N], std::string_view op, DataType type) {
  for (const OpEntry& e : entries)
    if (e.name == op) return e.find(type);
  return nullptr;
}

// Op over kArity inputs of one dtype T, with output T, or bool for predicates.
template <class Op, unsigned kSet, int kArity>
Launcher same_type(DataType type) {
  return with_type<kSet>(type, [](auto tag) -> Launcher {
    using T = decltype(tag);
    if constexpr (kArity == 1) return &launch<kiln_device::ApplyOp<Op, T, T>>;
    else if constexpr (kArity == 2) return &launch<kiln_device::ApplyOp<Op, T, T, T>>;
    else return &launch<kiln_device::ApplyOp<Op, T, T, T, T>>;
  });
}

template <class Op, unsigned kSet, int kArity>
Launcher predicate(DataType type) {
  return with_type<kSet>(type, [](auto tag) -> Launcher {
    using T = decltype(tag);
    if constexpr (kArity == 1) return &launch<kiln_device::ApplyOp<Op, bool, T>>;
    else return &launch<kiln_device::ApplyOp<Op, bool, T, T>>;
  });
}

}  // namespace kiln::cuda::elementwise
